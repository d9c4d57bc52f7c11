#!/usr/bin/env bash
# Permissions and shared folders for one nbgrader course on one shared server. Run as root,
# after creating the Unix users; `system_tests/test_hub.py` runs it as it is.
#
#   sudo hub/setup-course.sh COURSE INSTRUCTOR STUDENT...
#
# Settings, as environment variables: LABKIT_HUB_PREFIX (the hub's venv, /opt/labkit-hub),
# LABKIT_EXCHANGE (nbgrader's exchange, /srv/nbgrader/exchange), LABKIT_DATA (the shared
# MNIST, /srv/labkit-data). Running it again is harmless (new students: run it again).
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 COURSE INSTRUCTOR [STUDENT...]" >&2; exit 2; fi
course=$1 instructor=$2
shift 2
prefix=${LABKIT_HUB_PREFIX:-/opt/labkit-hub}
exchange=${LABKIT_EXCHANGE:-/srv/nbgrader/exchange}
data=${LABKIT_DATA:-/srv/labkit-data}
group=course-$course

# Homes are private: Debian's default 0755 lets everyone read everyone's home, the
# instructor's course folder (solutions, hidden tests, gradebook) and students' work.
for user in "$instructor" "$@"; do
  chmod 0700 "$(getent passwd "$user" | cut -d: -f6)"
done

# A Unix group of the course's people: only they may enter the course's exchange folder.
groupadd -f "$group"
for user in "$instructor" "$@"; do
  usermod -a -G "$group" "$user"
done

# nbgrader insists that the exchange root be rwx for all (it checks the mode); the sticky
# bit keeps anyone from removing or replacing a folder they do not own. The course folder
# belongs to the instructor and the course group; nbgrader makes outbound/ (0755), inbound/
# (2733: students can drop a submission in, not list or read others') and feedback/ (0711)
# inside it, and keeps the mode of a folder that exists.
install -d -m 1777 "$exchange"
install -d -o "$instructor" -g "$group" -m 2750 "$exchange/$course"

# Every user of the hub's Python sees the course and the exchange.
install -d "$prefix/etc/jupyter"
cat > "$prefix/etc/jupyter/nbgrader_config.py" <<CONFIG
c = get_config()
c.CourseDirectory.course_id = "$course"
c.Exchange.root = "$exchange"
CONFIG

# MNIST once, verified, readable by everyone and writable by none of the users.
install -d -m 0755 "$data"
LABKIT_DATA=$data "$prefix/bin/labkit" data mnist
chmod -R a+rX,go-w "$data"
