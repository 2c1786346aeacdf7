# Prints what Python's tarfile reads in a tar (plain or gzip), one line an entry, in the form
# TarReadings renders every reader's entries: path type mode uid gid owner mtime size link
# content device group. A hard link is shown as the file it names, as extraction makes it.
# Any exception is tarfile refusing the archive: its message on stderr, exit status 1.
import hashlib
import math
import os
import sys
import tarfile


def norm(name):
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def kind_of(member):
    for test, kind in ((member.isreg, "-"), (member.isdir, "d"), (member.issym, "l"), (member.ischr, "c"),
                       (member.isblk, "b"), (member.isfifo, "p")):
        if test():
            return kind
    return "u" + member.type.decode("latin-1")


def main(path):
    rows = []
    by_name = {}
    with tarfile.open(path) as t:
        for m in t:
            name = norm(m.name)
            if name in ("", "."):
                continue
            target = m
            if m.islnk():
                target = by_name.get(norm(m.linkname))
                if target is None:
                    raise tarfile.ReadError("hard link %r to nothing" % m.name)
            by_name[name] = target
            rows.append((name, m, target))
        contents = {}
        for name, m, target in rows:
            if target.isreg() and id(target) not in contents:
                contents[id(target)] = hashlib.sha256(t.extractfile(target).read()).hexdigest()[:16]
    groups = {}
    for name, m, target in rows:
        groups.setdefault(id(target), []).append(name)
    out = sys.stdout.buffer
    for name, m, target in rows:
        kind = kind_of(target)
        mode = "-" if kind == "l" else "%o" % (target.mode & 0o7777)
        owner = "%s/%s" % (target.uname or target.uid, target.gname or target.gid)
        size = target.size if kind == "-" else 0
        link = target.linkname if kind == "l" else "-"
        content = contents.get(id(target), "-") if kind == "-" else "-"
        device = "%d,%d" % (target.devmajor, target.devminor) if kind in "cb" else "-"
        names = groups[id(target)]
        group = min(names) if len(names) > 1 else "-"
        fields = [name, kind, mode, str(target.uid), str(target.gid), owner, str(math.floor(target.mtime)),
                  str(size), link, content, device, group]
        out.write(" ".join(fields).encode("utf-8", "surrogateescape") + b"\n")


try:
    main(sys.argv[1])
except Exception as e:
    sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
    sys.exit(1)
