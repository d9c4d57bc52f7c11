# JupyterHub for teaching the labkit notebooks on one shared server, with nbgrader.
#
# JupyterHub 6 (PyPI) runs as root and starts each user's server as that Unix user
# (LocalProcessSpawner), who logs in with their Unix password (PAM). The proxy is
# configurable-http-proxy from npm. Formgrader runs as a JupyterHub service under the
# instructor's account, in the course folder. `system_tests/test_hub.py` runs this file as
# it is, with the settings below given as environment variables.
#
#   sudo /opt/labkit-hub/bin/jupyterhub -f /etc/jupyterhub/jupyterhub_config.py
#
# Put TLS in front of it (c.JupyterHub.ssl_cert / ssl_key, or a reverse proxy) before anyone
# types a password into it.
import os

c = get_config()  # noqa: F821 (JupyterHub defines it)

PREFIX = os.environ.get("LABKIT_HUB_PREFIX", "/opt/labkit-hub")  # the venv: `make hub-env` builds it
COURSE = os.environ.get("LABKIT_COURSE", "labkit")
INSTRUCTOR = os.environ.get("LABKIT_INSTRUCTOR", "instructor")
STUDENTS = os.environ.get("LABKIT_STUDENTS", "").split()  # or list them here
DATA = os.environ.get("LABKIT_DATA", "/srv/labkit-data")  # MNIST, read-only for everyone
FORMGRADER_PORT = int(os.environ.get("LABKIT_FORMGRADER_PORT", "9999"))

c.JupyterHub.ip = os.environ.get("LABKIT_HUB_IP", "")  # "" listens on every interface
c.JupyterHub.port = int(os.environ.get("LABKIT_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.db_url = os.environ.get("LABKIT_HUB_DB", "sqlite:///jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.environ.get("LABKIT_HUB_COOKIE_SECRET", "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.command = [f"{PREFIX}/proxy/node_modules/.bin/configurable-http-proxy"]

# Real Unix users, their own passwords; only the course's people may log in.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {INSTRUCTOR, *STUDENTS}

# Each user's server: the hub's Python (labkit, nbgrader, nbgitpuller), the shared MNIST, JupyterLab.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [f"{PREFIX}/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
ENVIRONMENT = {"LABKIT_DATA": DATA, "PATH": f"{PREFIX}/bin:/usr/local/bin:/usr/bin:/bin"}
c.Spawner.environment = ENVIRONMENT

# Formgrader as a service, as the instructor, in the course folder; only the instructor may open it.
c.JupyterHub.services = [{
    "name": COURSE,  # nbgrader expects the service to be named after the course
    "url": f"http://127.0.0.1:{FORMGRADER_PORT}",
    "command": [f"{PREFIX}/bin/jupyterhub-singleuser"],
    "user": INSTRUCTOR,
    "cwd": f"/home/{INSTRUCTOR}/{COURSE}",
    "environment": {"JUPYTERHUB_DEFAULT_URL": "/formgrader", **ENVIRONMENT},
    "oauth_no_confirm": True,
}]
c.JupyterHub.load_groups = {f"formgrade-{COURSE}": {"users": [INSTRUCTOR]}}
c.JupyterHub.load_roles = [{
    "name": f"formgrade-{COURSE}",
    "groups": [f"formgrade-{COURSE}"],
    "scopes": [f"access:services!service={COURSE}", "list:services", f"read:services!service={COURSE}"],
}]
