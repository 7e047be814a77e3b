#!/usr/bin/env bash
# Build refurb's live image: live/build.sh [OUT.img]  (root; `make live` calls it).
#
# From Debian 12 packages only (mmdebstrap, live-boot, GRUB) plus refurb's own wheel and the
# Python packages pinned with hashes in live/requirements.txt. Output: one hybrid image (GPT and
# MBR boot code, GRUB for BIOS and UEFI) that is written to a USB stick as it is, holding
#   - the read-only system (live/filesystem.squashfs, mounted by live-boot under an overlay), and
#   - an empty ext4 partition labelled REFURB-DATA for the site's settings, key and local store
#     (`refurb init --stick DEVICE` fills it on a PC).
# Downloads (Debian packages, Python wheels) are kept in $REFURB_LIVE_CACHE between runs
# (default ~/.cache/refurb-live); a build without it downloads everything again.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${1:-$repo/build/refurb-live.img}
cache=${REFURB_LIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/refurb-live}
python=${PYTHON:-python3}  # a Python 3.11 with pip, setuptools and wheel: builds the wheels
mirror=${REFURB_LIVE_MIRROR:-http://deb.debian.org/debian}
security=${REFURB_LIVE_SECURITY:-http://deb.debian.org/debian-security}
data_mb=${REFURB_LIVE_DATA_MB:-128}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
export LC_ALL=C.UTF-8 TZ=UTC

[ "$(id -u)" = 0 ] || { echo "build.sh: run as root (mmdebstrap, mksquashfs of a root tree)" >&2; exit 2; }
for tool in mmdebstrap mksquashfs grub-mkrescue xorriso mkfs.ext4 mformat; do
    command -v "$tool" >/dev/null || {
        echo "build.sh: $tool is missing: apt-get install \$(grep -v '^#' .ci/apt-packages-live.txt)" >&2
        exit 2
    }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/refurb-live.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache/apt" "$cache/pypi" "$work/wheels" "$work/iso/live" "$work/iso/boot/grub" "$(dirname "$out")"
step() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# 1. Python: refurb's wheel from this checkout; its dependencies as pinned (hashes checked on
#    download); an sdist among them (packbits) becomes a wheel here, so the image installs offline.
step "wheels"
mkdir "$work/src"  # a copy, so the build leaves the checkout (its egg-info) as it was
cp -a "$repo/pyproject.toml" "$repo/README.md" "$repo/refurb" "$work/src/"
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
"$python" -m pip wheel -q --no-deps -w "$work/wheels" "$work/src"
"$python" -m pip download -q --no-deps --require-hashes -r "$here/requirements.txt" -d "$cache/pypi"
for sdist in "$cache"/pypi/*.tar.gz; do
    [ -e "$sdist" ] || continue
    "$python" -m pip wheel -q --no-deps -w "$work/wheels" "$sdist"
done
cp "$cache"/pypi/*.whl "$work/wheels/"

# 2. The root file system.
step "root file system (mmdebstrap)"
packages=$(grep -v '^#' "$here/packages.txt" | xargs | tr ' ' ',')
mmdebstrap --variant=minbase --mode=root --format=directory \
    --include="$packages" \
    --aptopt='Acquire::Retries "3"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in '$cache/apt' /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives '$cache/apt'" \
    --customize-hook="copy-in '$work/wheels' /tmp" \
    --customize-hook='chroot "$1" python3 -m venv /opt/refurb' \
    --customize-hook='chroot "$1" /opt/refurb/bin/pip install -q --no-index --no-cache-dir --find-links /tmp/wheels "refurb[postgres,print]"' \
    --customize-hook='chroot "$1" /opt/refurb/bin/python -m compileall -q -j1 /opt/refurb/lib >/dev/null || true' \
    --customize-hook='rm -rf "$1"/tmp/wheels && ln -sf /opt/refurb/bin/refurb "$1"/usr/local/bin/refurb' \
    --customize-hook="sync-in '$here/rootfs' /" \
    --customize-hook='chroot "$1" systemctl enable systemd-networkd systemd-resolved refurb-data.service' \
    --customize-hook='chroot "$1" systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer' \
    --customize-hook='rm -f "$1"/etc/machine-id "$1"/var/lib/dbus/machine-id; : > "$1"/etc/machine-id' \
    --customize-hook='chroot "$1" /opt/refurb/bin/refurb --version > "$1"/etc/refurb-live-version' \
    --customize-hook='chroot "$1" dpkg-query -W > "$1"/etc/refurb-live-packages' \
    bookworm "$work/rootfs" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main"

# 3. Kernel and initrd (live-boot's hooks are in it) beside the squashfs; /boot stays out of it.
step "squashfs"
cp "$work"/rootfs/boot/vmlinuz-* "$work/iso/live/vmlinuz"
cp "$work"/rootfs/boot/initrd.img-* "$work/iso/live/initrd.img"
mksquashfs "$work/rootfs" "$work/iso/live/filesystem.squashfs" -noappend -quiet \
    -comp xz -Xbcj x86 -b 1M -e boot -mkfs-time "$SOURCE_DATE_EPOCH" -all-time "$SOURCE_DATE_EPOCH"
cp "$work/rootfs/etc/refurb-live-packages" "$work/iso/live/packages.txt"
cp "$here/grub.cfg" "$work/iso/boot/grub/grub.cfg"

# 4. The empty data partition, then the hybrid image with it appended.
step "image"
truncate -s "${data_mb}M" "$work/data.img"
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -L REFURB-DATA -m 0 \
    -U 7e5f1a3c-0d6b-4c1e-9a57-2f3b8e4d6c10 -E root_owner=0:0,hash_seed=00000000-0000-0000-0000-000000000000 "$work/data.img"
grub-mkrescue -o "$work/out.img" "$work/iso" -- -volid REFURB_LIVE \
    -append_partition 3 0x83 "$work/data.img" 2>"$work/mkrescue.log" ||
    { cat "$work/mkrescue.log" >&2; exit 1; }
mv "$work/out.img" "$out"
step "done: $out ($(du -h --apparent-size "$out" | cut -f1))"
