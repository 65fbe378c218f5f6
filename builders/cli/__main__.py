"""`python -m builders.cli …` is `toolmint …`."""

import sys

from builders.cli import main

sys.exit(main())
