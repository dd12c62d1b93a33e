"""Files of attendance marks, uploaded by the CME team or by a school: the upload and progress pages both
areas show, and the background work that checks and imports a file."""
