# refurb's live image (docs/live.md). Run as root: mmdebstrap and mksquashfs of a root tree need it.
PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
LIVE_IMAGE ?= build/refurb-live.img

.PHONY: live live-lock live-test

live:  ## build the hybrid BIOS+UEFI stick image
	PYTHON=$(PYTHON) live/build.sh $(LIVE_IMAGE)

live-lock:  ## re-pin the image's Python packages (live/requirements.txt)
	$(PYTHON) live/lock.py

live-test:  ## build (or reuse) the image and boot it on the virtual laptop
	REFURB_REQUIRE_LIVE=1 $(PYTHON) -m pytest -q -p no:cacheprovider tests/test_live_image.py
