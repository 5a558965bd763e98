import sys

from poselab.engine.allocator import apply_allocator_policy

apply_allocator_policy()  # before the first frame is allocated: see poselab.engine.allocator

from poselab.cli.commands import main  # noqa: E402 - after the allocator policy

sys.exit(main())
