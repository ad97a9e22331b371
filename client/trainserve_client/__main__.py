"""``python -m trainserve_client``: the trainserve command line without the server installed."""

import sys

from trainserve_client.cli import main

sys.exit(main(prog="python -m trainserve_client"))
