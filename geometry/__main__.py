import sys

from geometry.cli import main

if __name__ == "__main__":  # not when a worker process (multiprocessing's spawn) imports this module
    sys.exit(main())
