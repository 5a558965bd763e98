import sys

from poselab.allocator import apply_allocator_policy

apply_allocator_policy()  # before the first frame is allocated: see poselab.allocator

from poselab.cli import main  # noqa: E402 - after the allocator policy

sys.exit(main())
