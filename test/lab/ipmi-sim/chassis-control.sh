#!/bin/sh
# Chassis control program of the lab BMC: ipmi_sim runs it (through popen, so
# it blocks the simulator while it runs: keep it fast) for chassis power,
# reset, boot device, identify and soft-off requests, as configured by
# `chassis_control "<this> <host-dir>"` in lan.conf:
#   chassis-control.sh HOST_DIR get PARM...        prints PARM:VALUE lines
#   chassis-control.sh HOST_DIR set PARM VALUE...  prints nothing on success
# The "host" is three files in HOST_DIR: power (0|1), boot (none, pxe,
# default, cdrom, bios) and records, to which every set appends one line
# ("power 1", "boot pxe", "reset", "identify 15 0", "shutdown") so tests can
# see what reached the host. On error it prints the reason and exits 1; the
# BMC then answers with completion code 0xff.
set -u

dir=${1:-}
op=${2:-}
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "chassis-control: no host directory given"
	exit 1
fi
shift 2 || { echo "chassis-control: no operation given"; exit 1; }

# Shell builtins only (no cat, no command substitution): ipmi_sim blocks
# while this runs, so every fork shows up in each Get Chassis Status.
read_state() {
	state=$2
	if [ -f "$dir/$1" ]; then read -r state < "$dir/$1" || true; fi
}

record() {
	printf '%s\n' "$*" >> "$dir/records"
}

case "$op" in
get)
	for parm in "$@"; do
		case "$parm" in
		power) read_state power 0; echo "power:$state" ;;
		boot) read_state boot default; echo "boot:$state" ;;
		*) echo "chassis-control: cannot get $parm"; exit 1 ;;
		esac
	done
	;;
set)
	while [ $# -gt 0 ]; do
		parm=$1
		if [ $# -lt 2 ]; then
			echo "chassis-control: no value for $parm"
			exit 1
		fi
		val=$2
		shift 2
		case "$parm" in
		power)
			case "$val" in
			0|1) ;;
			*) echo "chassis-control: bad power value $val"; exit 1 ;;
			esac
			echo "$val" > "$dir/power"
			record power "$val"
			;;
		reset)
			record reset
			;;
		boot)
			echo "$val" > "$dir/boot"
			record boot "$val"
			;;
		identify)
			# ipmi_sim passes "<interval> <force>" as one quoted value.
			record identify "$val"
			;;
		shutdown)
			# A soft-off request: the host's OS powers off at once.
			echo 0 > "$dir/power"
			record shutdown
			;;
		*)
			echo "chassis-control: cannot set $parm"
			exit 1
			;;
		esac
	done
	;;
check)
	# ipmi_sim uses "check" only for LAN control programs.
	exit 1
	;;
*)
	echo "chassis-control: unknown operation $op"
	exit 1
	;;
esac
exit 0
