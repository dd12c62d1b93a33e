"""Files of attendance marks, uploaded by the CME team or by a school: the upload and progress pages both areas
show. The background worker checks and imports a file (shared/services/attendance_files.py)."""
