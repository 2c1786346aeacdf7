#!/usr/bin/env python3
"""gen-files-layer.py - write an OCI image layout whose one layer holds COUNT empty files.

Usage: gen-files-layer.py COUNT OUTDIR [TAG]

The files are d0000/f0000000 ... in directories of 1,000, all 0644 root:root with one fixed
mtime, so the layout is the same bytes on every machine. The layer is a gzip tar (level 1:
the headers of empty files compress well at any level, and level 9 would take minutes for a
million). OUTDIR must not exist; the layout is written beside it and renamed into place, so
that a run killed half-way leaves nothing that looks complete. Only the standard library.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

PER_DIR = 1000
MTIME = 1700000000


class Hashing(io.RawIOBase):
    """A write-only stream that hashes what passes through it on its way to `out`."""

    def __init__(self, out):
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self):
        return True

    def write(self, b):
        self.sha.update(b)
        self.size += len(b)
        return self.out.write(b)


def blob(layout, data):
    """Stores bytes as a blob; returns its descriptor fields."""
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def layer(layout, count):
    """Writes the layer blob; returns (its descriptor fields, its diff id)."""
    tmp = os.path.join(layout, "blobs", "sha256", "layer.tmp")
    with open(tmp, "wb") as raw:
        compressed = Hashing(raw)
        with gzip.GzipFile(fileobj=compressed, mode="wb", compresslevel=1, mtime=0) as gz:
            plain = Hashing(gz)
            with tarfile.open(fileobj=plain, mode="w|", format=tarfile.USTAR_FORMAT) as tar:
                for d in range((count + PER_DIR - 1) // PER_DIR):
                    dir_name = "d%04d" % d
                    info = tarfile.TarInfo(dir_name + "/")
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                    tar.addfile(info)
                    for i in range(d * PER_DIR, min(count, (d + 1) * PER_DIR)):
                        info = tarfile.TarInfo("%s/f%07d" % (dir_name, i))
                        info.mode, info.mtime = 0o644, MTIME
                        tar.addfile(info)
    digest = compressed.sha.hexdigest()
    os.rename(tmp, os.path.join(layout, "blobs", "sha256", digest))
    return {"digest": "sha256:" + digest, "size": compressed.size}, "sha256:" + plain.sha.hexdigest()


def main():
    if len(sys.argv) not in (3, 4) or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit(__doc__.split("\n\n")[1])
    count, out = int(sys.argv[1]), sys.argv[2]
    tag = sys.argv[3] if len(sys.argv) == 4 else "files"
    if os.path.exists(out):
        sys.exit("gen-files-layer.py: %s exists" % out)
    layout = out + ".tmp-%d" % os.getpid()
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    try:
        layer_desc, diff_id = layer(layout, count)
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": "gen-files-layer.py %d" % count}],
        }
        config_desc = blob(layout, json.dumps(config, sort_keys=True).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **config_desc),
            "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **layer_desc)],
        }
        manifest_desc = blob(layout, json.dumps(manifest, sort_keys=True).encode())
        index = {
            "schemaVersion": 2,
            "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json",
                               annotations={"org.opencontainers.image.ref.name": tag}, **manifest_desc)],
        }
        with open(os.path.join(layout, "index.json"), "w") as f:
            json.dump(index, f)
        with open(os.path.join(layout, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        os.rename(layout, out)
    except BaseException:
        shutil.rmtree(layout, ignore_errors=True)
        raise


if __name__ == "__main__":
    main()
