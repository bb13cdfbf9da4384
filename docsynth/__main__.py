import sys

from docsynth.cli import main

sys.exit(main())
