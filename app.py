"""Entry point: `server` for gunicorn (`gunicorn app:server`), `python app.py` for local use."""

import os

from dashboard.app_factory import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host=os.environ.get("DSMB_HOST", "127.0.0.1"), port=int(os.environ.get("DSMB_PORT", "8050")), debug=False)
