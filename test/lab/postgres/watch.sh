#!/bin/sh
# Keeps one test PostgreSQL cluster of test/lab/postgres.ts from outliving
# the test process, even when that process is killed with SIGKILL:
#   watch.sh PG_CTL DATADIR TOPDIR [RUNAS]
# Our stdin is a pipe held by the test process; EOF on it (the test process
# is gone or called stop()) stops the server at once (-m immediate: its data
# is thrown away anyway) and removes TOPDIR. RUNAS: the user the server runs
# as, when we are root (PostgreSQL refuses to run as root).
pg_ctl=$1 data=$2 top=$3 runas=$4
while read -r _; do :; done
if [ -n "$runas" ]; then
	runuser -u "$runas" -- "$pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
else
	"$pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
fi
rm -rf "$top"
echo stopped
