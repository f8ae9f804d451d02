"""``python -m bayesgmm``: see :mod:`bayesgmm.cli`."""

from bayesgmm.cli import main

raise SystemExit(main())
