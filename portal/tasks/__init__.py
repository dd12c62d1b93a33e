"""Background work: everything that outlives a request runs on Huey, in `cme worker`, never in a web process.

`engine` holds the one Huey instance and where its queue is kept; `work` the tasks, each only starting work whose
record is a row of the database; `schedule` the periodic work, claimed period by period in the database so that
however many workers run, each period's work is done once; `worker` the `cme worker` command and its heartbeat.
"""
