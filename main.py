"""Open BPTT Explorer: ``python main.py [--preset NAME] [--screenshot PATH] [--size WxH]``."""

import sys

from explorer.app import main

if __name__ == "__main__":
    sys.exit(main())
