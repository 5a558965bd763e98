import sys

from poselab.cli import main

sys.exit(main())
