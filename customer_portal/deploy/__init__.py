"""Running the portal in production: web workers behind nginx (see README, "Despliegue").

:mod:`~customer_portal.deploy.worker` serves one web worker from pages
built beforehand; :mod:`~customer_portal.deploy.nginx` writes the nginx
configuration that spreads customers over the workers.
"""
