# JupyterHub for one machine with reglab (JupyterHub 3.0 from Debian 12).
# Installed as /etc/jupyterhub/jupyterhub_config.py; started by jupyterhub.service.
# See deploy/README.md for the install steps and what is tested.
c = get_config()  # noqa: F821 (JupyterHub provides get_config)

# Behind a TLS-terminating reverse proxy (nginx, caddy) on the same machine:
# the hub listens on loopback only.
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:8081"
c.JupyterHub.db_url = "sqlite:////var/lib/jupyterhub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/var/lib/jupyterhub/jupyterhub_cookie_secret"

# configurable-http-proxy from npm (reglab's devDependency pin, or `npm install -g configurable-http-proxy@5.3.0`).
# The hub starts it; with cleanup_servers False a restarted hub finds running servers again.
c.ConfigurableHTTPProxy.command = ["/usr/local/bin/configurable-http-proxy"]
c.JupyterHub.cleanup_servers = False

# Students log in with their Unix accounts (PAM). Admins manage users at /hub/admin.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.admin_users = {"teacher"}
# Only members of this Unix group may log in (create it, add students).
c.PAMAuthenticator.allowed_groups = {"students"}

# One Notebook server per student, as that student, under a systemd scope with
# hard limits (jupyterhub-systemdspawner: `pip install jupyterhub-systemdspawner==1.0.2`
# into the hub's Python; Debian does not package it). A reglab kernel takes
# ~330 MB after the welcome notebook (BENCHMARKS.md, classroom); the Notebook
# server ~110 MB; 1 GiB leaves room for one heavier notebook (12-dropout peaks at ~700 MB).
c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
c.SystemdSpawner.mem_limit = "1G"
c.SystemdSpawner.cpu_limit = 1.0          # one core at most per student
c.SystemdSpawner.isolate_tmp = True
c.SystemdSpawner.isolate_devices = True
c.SystemdSpawner.disable_user_sudo = True
c.SystemdSpawner.unit_extra_properties = {"TasksMax": "256"}
# Classic Notebook 6 from Debian as the single-user server.
c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]
c.Spawner.environment = {"JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp"}
c.Spawner.default_url = "/tree/reglab-notebooks"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60

# Each student gets their own copy of the chapter notebooks on first start
# (the kernelspec itself is system-wide: /usr/local/share/jupyter/kernels/reglab).
def copy_notebooks(spawner):
    import os
    import pwd
    import shutil
    import subprocess

    home = pwd.getpwnam(spawner.user.name).pw_dir
    dest = os.path.join(home, "reglab-notebooks")
    if not os.path.exists(dest):
        shutil.copytree("/opt/reglab/notebooks", dest)
        subprocess.run(["chown", "-R", f"{spawner.user.name}:", dest], check=True)

c.Spawner.pre_spawn_hook = copy_notebooks

# A class leaves tabs open: stop servers idle for an hour (frees their kernels' memory).
c.JupyterHub.services = [
    {"name": "idle-culler", "command": ["python3", "-m", "jupyterhub_idle_culler", "--timeout=3600"]},
]
c.JupyterHub.load_roles = [
    {"name": "idle-culler", "services": ["idle-culler"], "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]
