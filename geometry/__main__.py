import sys

from geometry.cli import main

sys.exit(main())
