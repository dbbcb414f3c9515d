#!/bin/sh
# Runs one ipmi_sim for test/lab/sim.ts so that it never outlives the test
# process, even when that process is killed with SIGKILL:
#   supervise.sh ipmi_sim ARGS...
# Our stdin is a pipe held by the test process; EOF on it (the test process
# is gone or called stop()) kills the simulator. Protocol on stdout:
#   "pid N"       the simulator was started with process id N
#   "exit STATUS" it ended (128+signal when killed by a signal)
# The simulator's own stdout and stderr both go to our stderr.
exec 3<&0
"$@" </dev/null >&2 3<&- &
child=$!
echo "pid $child"
# Without job control an asynchronous list reads /dev/null unless told
# otherwise, hence the explicit <&3.
(
	while read -r _; do :; done
	kill -KILL "$child" 2>/dev/null
) <&3 &
watcher=$!
exec 3<&-
wait "$child"
status=$?
kill "$watcher" 2>/dev/null
echo "exit $status"
