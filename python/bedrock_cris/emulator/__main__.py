"""``python -m bedrock_cris.emulator``."""

import sys

from bedrock_cris.emulator import main

sys.exit(main())
