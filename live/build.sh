#!/usr/bin/env bash
# Build refurb's live image: live/build.sh [OUT.img]  (root; `make live` calls it).
#
# From Debian 12 packages only (mmdebstrap, live-boot, GRUB) plus refurb's own wheel and the
# Python packages pinned with hashes in live/requirements.txt. Output: one hybrid image (GPT and
# MBR boot code, GRUB for BIOS and UEFI) that is written to a USB stick as it is, holding
#   - the read-only system (live/filesystem.squashfs, mounted by live-boot under an overlay), and
#   - an empty ext4 partition labelled REFURB-DATA for the site's settings, key and local store
#     (`refurb init --stick DEVICE` fills it on a PC).
# Two layers: the base (Debian packages and refurb's Python dependencies in /opt/refurb) is kept
# in $REFURB_LIVE_CACHE (a tarball, its unpacked tree and squashfs, kernel and initrd) under the
# hash of what makes it (packages.txt, requirements.txt, the base_layer function), with the
# downloads; refurb itself and live/rootfs/ make a second, small squashfs at every build.
# Without the cache everything is downloaded and built again (~25 min on 2 busy cores).
set -euo pipefail

main() {  # in a function: bash has read all of it before it runs, so an edit cannot break a build
    here=$(cd "$(dirname "$0")" && pwd)
    repo=$(dirname "$here")
    out=${1:-$repo/build/refurb-live.img}
    cache=${REFURB_LIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/refurb-live}
    python=${PYTHON:-python3}  # a Python 3.11 with pip: builds refurb's wheel, fetches the deps
    mirror=${REFURB_LIVE_MIRROR:-http://deb.debian.org/debian}
    security=${REFURB_LIVE_SECURITY:-http://deb.debian.org/debian-security}
    data_mb=${REFURB_LIVE_DATA_MB:-128}
    SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
    export SOURCE_DATE_EPOCH LC_ALL=C.UTF-8 TZ=UTC

    [ "$(id -u)" = 0 ] || { echo "build.sh: run as root (mmdebstrap, a root tree)" >&2; exit 2; }
    for tool in mmdebstrap mksquashfs grub-mkrescue xorriso mkfs.ext4 mformat; do
        command -v "$tool" >/dev/null || {
            echo "build.sh: $tool is missing: apt-get install \$(grep -v '^#' .ci/apt-packages-live.txt)" >&2
            exit 2
        }
    done
    work=$(mktemp -d "${TMPDIR:-/tmp}/refurb-live.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$cache/apt" "$cache/pypi" "$cache/base" "$work/wheels" "$work/iso/live" \
        "$work/iso/boot/grub" "$(dirname "$out")"

    wheels
    base=$cache/base/base-$( (cat "$here/packages.txt" "$here/requirements.txt"; declare -f base_layer) |
        sha256sum | cut -c1-16)
    [ -f "$base.tar" ] || base_layer "$base.tar"
    [ -f "$base.squashfs" ] || base_squashfs "$base"
    refurb_layer "$base"
    image
}

step() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

wheels() {
    # refurb's wheel from a copy of this checkout (the build leaves its egg-info alone); the
    # dependencies as pinned, hashes checked on download; an sdist among them (packbits) is made
    # a wheel here, so the image installs offline.
    step "wheels"
    mkdir "$work/src"
    cp -a "$repo/pyproject.toml" "$repo/README.md" "$repo/refurb" "$work/src/"
    find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
    "$python" -m pip wheel -q --no-deps -w "$work/refurb-wheel" "$work/src"
    # From the cache when it has them all (hashes checked either way), else from PyPI.
    "$python" -m pip download -q --no-deps --require-hashes -r "$here/requirements.txt" \
        -d "$cache/pypi" --no-index --find-links "$cache/pypi" 2>/dev/null ||
        "$python" -m pip download -q --no-deps --require-hashes -r "$here/requirements.txt" \
            -d "$cache/pypi"
    for sdist in "$cache"/pypi/*.tar.gz; do
        [ -e "$sdist" ] || continue
        "$python" -m pip wheel -q --no-deps -w "$work/wheels" "$sdist"
    done
    cp "$cache"/pypi/*.whl "$work/wheels/"
    sed 's/ --hash=.*//' "$here/requirements.txt" >"$work/wheels/requirements.txt"  # checked above
}

base_layer() {  # base_layer TARBALL: Debian and the Python dependencies, no refurb
    step "base: Debian packages (mmdebstrap) and Python dependencies"
    local packages pipenv
    packages=$(grep -v '^#' "$here/packages.txt" | xargs | tr ' ' ',')
    pipenv='env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root'
    mmdebstrap --variant=minbase --mode=root --format=tar \
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
        --customize-hook="chroot \"\$1\" $pipenv /opt/refurb/bin/pip install -q --no-index --no-cache-dir --find-links /tmp/wheels -r /tmp/wheels/requirements.txt" \
        --customize-hook='rm -rf "$1"/tmp/wheels' \
        --customize-hook='rm -f "$1"/etc/machine-id "$1"/var/lib/dbus/machine-id; : > "$1"/etc/machine-id' \
        bookworm "$work/base.tar" \
        "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
        "deb $security bookworm-security main" \
        2>&1 | grep -v '^I: running'
    mv "$work/base.tar" "$1"
}

base_squashfs() {  # base_squashfs BASE: the base as the image's lower squashfs, kernel, initrd
    step "base squashfs"
    rm -rf "$1.root" "$1.squashfs.part"
    mkdir "$1.root"
    tar -C "$1.root" --numeric-owner -xpf "$1.tar"
    cp "$1".root/boot/vmlinuz-* "$1.vmlinuz"
    cp "$1".root/boot/initrd.img-* "$1.initrd"  # live-boot's hooks are in it
    # Times come from SOURCE_DATE_EPOCH (mksquashfs reads it). zstd: near xz's size, compressed
    # several times faster (the kernel reads it since 4.14). Left out: /boot (beside it) and
    # kernel modules a console workbench never loads (media/DVB, sound, wireless without its
    # firmware, InfiniBand, staging, industrial I/O).
    local skip=usr/lib/modules/*/kernel
    mksquashfs "$1.root" "$1.squashfs.part" -noappend -quiet -no-progress \
        -comp zstd -Xcompression-level 15 -b 1M -wildcards -e boot "$skip/drivers/media" \
        "$skip/sound" "$skip/drivers/net/wireless" "$skip/drivers/infiniband" \
        "$skip/drivers/staging" "$skip/drivers/iio" "$skip/drivers/comedi" "$skip/lib/test_*"
    mv "$1.squashfs.part" "$1.squashfs"
    find "$cache/base" -maxdepth 1 -name 'base-*' ! -name "$(basename "$1").*" -exec rm -rf {} +
}

refurb_layer() {  # refurb_layer BASE: refurb, the launcher and its units, a squashfs of their own
    # Made in an overlay over the unpacked base, so the layer holds only what changed; live-boot
    # stacks /live/*.squashfs in name order (refurb.squashfs over filesystem.squashfs).
    step "refurb layer"
    local root=$work/rootfs chrootenv='env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root' wheel
    mkdir "$root" "$work/upper" "$work/ovl"
    mount -t overlay overlay -o "lowerdir=$1.root,upperdir=$work/upper,workdir=$work/ovl" "$root"
    trap 'umount "$work/rootfs" 2>/dev/null; rm -rf "$work"' EXIT
    wheel=$(basename "$work"/refurb-wheel/refurb-*.whl)
    cp "$work/refurb-wheel/$wheel" "$root/tmp/"
    chroot "$root" $chrootenv /opt/refurb/bin/pip install -q --no-index --no-deps "/tmp/$wheel"
    chroot "$root" $chrootenv /opt/refurb/bin/python -m compileall -q \
        /opt/refurb/lib/python3.11/site-packages/refurb >/dev/null || true
    rm -f "$root/tmp/$wheel"
    ln -sf /opt/refurb/bin/refurb "$root/usr/local/bin/refurb"
    cp -a "$here/rootfs/." "$root/"
    chroot "$root" systemctl enable -q systemd-networkd systemd-resolved refurb-data.service
    chroot "$root" systemctl mask -q systemd-networkd-wait-online.service apt-daily.timer \
        apt-daily-upgrade.timer e2scrub_reap.service
    chroot "$root" $chrootenv /opt/refurb/bin/refurb --version >"$root/etc/refurb-live-version"
    chroot "$root" dpkg-query -W >"$work/iso/live/packages.txt"
    rm -rf "$root/root/.cache" "$root/tmp/"*
    umount "$root"
    mksquashfs "$work/upper" "$work/iso/live/refurb.squashfs" -noappend -quiet -no-progress \
        -comp zstd -Xcompression-level 15 -b 1M -no-xattrs  # no overlay bookkeeping
    # The base: hard links, not copies, when the cache is on the same file system.
    ln "$1.squashfs" "$work/iso/live/filesystem.squashfs" 2>/dev/null ||
        cp "$1.squashfs" "$work/iso/live/filesystem.squashfs"
    cp "$1.vmlinuz" "$work/iso/live/vmlinuz"
    cp "$1.initrd" "$work/iso/live/initrd.img"
    cp "$here/grub.cfg" "$work/iso/boot/grub/grub.cfg"
}

image() {  # the empty data partition, then the hybrid image with it appended
    step "image"
    truncate -s "${data_mb}M" "$work/data.img"
    E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -L REFURB-DATA -m 0 \
        -U 7e5f1a3c-0d6b-4c1e-9a57-2f3b8e4d6c10 \
        -E root_owner=0:0,hash_seed=00000000-0000-0000-0000-000000000000 "$work/data.img"
    grub-mkrescue -o "$work/out.img" "$work/iso" -- -volid REFURB_LIVE \
        -append_partition 3 0x83 "$work/data.img" >"$work/mkrescue.log" 2>&1 ||
        { cat "$work/mkrescue.log" >&2; exit 1; }
    mv "$work/out.img" "$out"
    step "done: $out ($(du -h --apparent-size "$out" | cut -f1))"
}

main "$@"
