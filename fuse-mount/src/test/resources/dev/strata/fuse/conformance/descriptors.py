# Descriptors held while their names go: one function per scenario; every step prints its
# result or the errno's name, so that two mounts can be compared line for line.
# usage: descriptors.py MOUNTPOINT SCENARIO
import errno, os, sys

m, scenario = sys.argv[1], sys.argv[2]
SET = (1500000000123456789, 1600000000987654321)


def P(name):
    return os.path.join(m, name)


def step(label, call):
    try:
        r = call()
        print(label, 'ok' if r is None else r)
    except OSError as e:
        print(label, errno.errorcode.get(e.errno, e.errno))


def stat(fd):
    s = os.fstat(fd)
    return 'type=%o mode=%o size=%d nlink=%d uid=%d gid=%d' % (
        s.st_mode >> 12, s.st_mode & 0o7777, s.st_size, s.st_nlink, s.st_uid, s.st_gid)


def times(fd):
    s = os.fstat(fd)
    return 'as set' if (s.st_atime_ns, s.st_mtime_ns) == SET else 'not as set'


def mode(name):
    s = os.lstat(P(name))
    return '%o nlink=%d' % (s.st_mode, s.st_nlink)


def reopen(fd, flags):
    return os.open('/proc/self/fd/%d' % fd, flags)


def through(fd, writable=True, owner=(4321, 4321)):
    """Every call a descriptor of a regular file takes, with fstat after each change."""
    step('fstat', lambda: stat(fd))
    step('pread', lambda: os.pread(fd, 100, 0))
    if writable:
        step('pwrite', lambda: os.pwrite(fd, b'written', 2))
        step('fstat after write', lambda: stat(fd))
        step('ftruncate 5', lambda: os.ftruncate(fd, 5))
        step('ftruncate 9', lambda: os.ftruncate(fd, 9))
        step('pread after truncate', lambda: os.pread(fd, 100, 0))
    else:
        step('ftruncate read-only', lambda: os.ftruncate(fd, 1))
    step('fchmod', lambda: os.fchmod(fd, 0o640))
    step('fstat after chmod', lambda: stat(fd))
    step('fchown', lambda: os.fchown(fd, *owner))
    step('fchown to nothing', lambda: os.fchown(fd, -1, -1))
    step('fstat after chown', lambda: stat(fd))
    step('futimens', lambda: os.utime(fd, ns=SET))
    step('times', lambda: times(fd))
    step('futimens now', lambda: os.utime(fd))
    step('fsetxattr', lambda: os.setxattr(fd, 'user.k', b'v'))
    step('fgetxattr', lambda: os.getxattr(fd, 'user.k'))
    step('flistxattr', lambda: sorted(n for n in os.listxattr(fd) if n.startswith('user.')))
    step('fremovexattr', lambda: os.removexattr(fd, 'user.k'))
    step('fsync', lambda: os.fsync(fd))
    step('fdatasync', lambda: os.fdatasync(fd))
    step('pread at the end', lambda: os.pread(fd, 100, 0))
    step('fstat at the end', lambda: stat(fd))


def directory(fd, owner=(4321, 4321)):
    """What a descriptor of a removed directory takes."""
    step('fstat', lambda: stat(fd))
    step('getdents', lambda: os.listdir(fd))
    step('fchmod', lambda: os.fchmod(fd, 0o700))
    step('fstat after chmod', lambda: stat(fd))
    step('fchown', lambda: os.fchown(fd, *owner))
    step('fstat after chown', lambda: stat(fd))
    step('futimens', lambda: os.utime(fd, ns=SET))
    step('times', lambda: times(fd))
    step('fsetxattr', lambda: os.setxattr(fd, 'user.k', b'v'))
    step('fgetxattr', lambda: os.getxattr(fd, 'user.k'))
    step('mkdirat', lambda: os.mkdir('x', dir_fd=fd))
    step('openat', lambda: os.open('x', os.O_RDONLY, dir_fd=fd))
    step('fsync', lambda: os.fsync(fd))


def listing(d=''):
    step('listing /' + d, lambda: sorted(os.listdir(P(d))))


def new_file(name, content=b'new file\n'):
    fd = os.open(P(name), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, content)
    return fd


def removed_file(name, flags, remove=None, writable=None, owner=(4321, 4321)):
    """Opens NAME, removes it (unlink unless REMOVE says otherwise), works through the descriptor."""
    fd = os.open(P(name), flags)
    if remove is None:
        step('unlink', lambda: os.unlink(P(name)))
    else:
        remove()
    through(fd, writable=(flags & os.O_ACCMODE) != os.O_RDONLY if writable is None else writable, owner=owner)
    os.close(fd)


def removed_directory(name, remove=None, owner=(4321, 4321)):
    fd = os.open(P(name), os.O_RDONLY | os.O_DIRECTORY)
    if remove is None:
        step('rmdir', lambda: os.rmdir(P(name)))
    else:
        remove()
    directory(fd, owner)
    os.close(fd)


s = scenario
# --- files only the upper holds
if s == 'new_file':
    fd = new_file('new')
    step('unlink', lambda: os.unlink(P('new')))
    through(fd)
    os.close(fd)
    listing()
elif s == 'new_file_in_removed_directory':
    os.mkdir(P('nd'))
    fd = new_file('nd/f')
    step('unlink', lambda: os.unlink(P('nd/f')))
    step('rmdir', lambda: os.rmdir(P('nd')))
    through(fd)
    os.close(fd)
    listing()
elif s == 'new_hard_links':
    fd = new_file('n1')
    os.link(P('n1'), P('n2'))
    step('unlink n1', lambda: os.unlink(P('n1')))
    step('fstat', lambda: stat(fd))
    step('fchmod', lambda: os.fchmod(fd, 0o600))
    step('n2', lambda: mode('n2'))
    step('unlink n2', lambda: os.unlink(P('n2')))
    through(fd)
    os.close(fd)
    listing()
elif s == 'o_path_descriptor':
    fd = new_file('n')
    os.close(fd)
    fd = os.open(P('n'), os.O_PATH)
    step('unlink', lambda: os.unlink(P('n')))
    step('fstat', lambda: stat(fd))
    step('reopen for writing', lambda: os.pwrite(reopen(fd, os.O_RDWR), b'N', 0))
    step('reopen for reading', lambda: os.pread(reopen(fd, os.O_RDONLY), 100, 0))
    step('fchmod through O_PATH', lambda: os.fchmod(fd, 0o600))
    step('link back', lambda: os.link('/proc/self/fd/%d' % fd, P('back'), follow_symlinks=True))
    os.close(fd)
    listing()
# --- lower files, copied up or not
elif s == 'lower_read_only':
    removed_file('a', os.O_RDONLY)
    listing()
elif s == 'lower_read_write':
    removed_file('a', os.O_RDWR)
    listing()
elif s == 'copied_up_then_opened_read_only':
    os.chmod(P('a'), 0o600)
    removed_file('a', os.O_RDONLY)
    listing()
elif s == 'lower_reopened_for_writing':
    fd = os.open(P('a'), os.O_RDONLY)
    step('unlink', lambda: os.unlink(P('a')))
    step('reopen for writing', lambda: os.close(reopen(fd, os.O_RDWR)))
    step('fstat', lambda: stat(fd))
    os.close(fd)
    listing()
elif s == 'lower_name_made_again':
    fd = os.open(P('a'), os.O_RDONLY)
    step('unlink', lambda: os.unlink(P('a')))
    step('create a', lambda: os.close(new_file('a', b'a again\n')))
    through(fd, writable=False)
    step('a by name', lambda: open(P('a'), 'rb').read())
    step('a', lambda: mode('a'))
    os.close(fd)
    listing()
elif s == 'lower_in_removed_directory':
    removed_file('w/f', os.O_RDONLY,
                 remove=lambda: (step('unlink', lambda: os.unlink(P('w/f'))), step('rmdir', lambda: os.rmdir(P('w')))))
    listing()
elif s == 'lower_read_write_in_removed_directory':
    removed_file('w/f', os.O_RDWR,
                 remove=lambda: (step('unlink', lambda: os.unlink(P('w/f'))), step('rmdir', lambda: os.rmdir(P('w')))))
    listing()
elif s == 'lower_in_renamed_directory':
    fd = os.open(P('w/f'), os.O_RDONLY)
    step('unlink', lambda: os.unlink(P('w/f')))
    step('rename w', lambda: os.rename(P('w'), P('ww')))
    step('fchmod', lambda: os.fchmod(fd, 0o600))
    step('fstat', lambda: stat(fd))
    os.close(fd)
    listing('ww')
elif s == 'metacopy_then_write':
    os.chmod(P('big'), 0o600)
    fd = os.open(P('big'), os.O_RDONLY)
    step('unlink', lambda: os.unlink(P('big')))
    step('fstat', lambda: stat(fd))
    step('pread', lambda: len(os.pread(fd, 1000000, 0)))
    fd2 = reopen(fd, os.O_RDWR)
    step('reopened', lambda: stat(fd2))
    step('pwrite through the reopen', lambda: os.pwrite(fd2, b'x', 0))
    step('pread first bytes', lambda: os.pread(fd, 4, 0))
    step('fstat after', lambda: stat(fd2))
    os.close(fd2)
    os.close(fd)
    listing()
elif s == 'two_descriptors':
    fd = os.open(P('a'), os.O_RDWR)
    fd2 = os.open(P('a'), os.O_RDONLY)
    step('unlink', lambda: os.unlink(P('a')))
    step('one file', lambda: os.fstat(fd).st_ino == os.fstat(fd2).st_ino)
    os.close(fd)
    through(fd2, writable=False)
    os.close(fd2)
    listing()
elif s == 'renamed_over':
    fd = os.open(P('a'), os.O_RDWR)
    step('rename c over a', lambda: os.rename(P('c'), P('a')))
    through(fd)
    step('a by name', lambda: open(P('a'), 'rb').read())
    os.close(fd)
    listing()
elif s == 'lower_read_only_renamed_over':
    removed_file('a', os.O_RDONLY, remove=lambda: step('rename c over a', lambda: os.rename(P('c'), P('a'))))
    step('a by name', lambda: open(P('a'), 'rb').read())
    step('a', lambda: mode('a'))
    listing()
elif s == 'hard_linked_lower':
    fd = os.open(P('h1'), os.O_RDWR)
    step('unlink', lambda: os.unlink(P('h1')))
    step('fstat', lambda: stat(fd))
    step('pwrite', lambda: os.pwrite(fd, b'TWO', 0))
    step('other name', lambda: open(P('hd/h2'), 'rb').read())
    step('other name stat', lambda: os.stat(P('hd/h2')).st_nlink)
    step('fchmod', lambda: os.fchmod(fd, 0o600))
    step('other name mode', lambda: '%o' % (os.stat(P('hd/h2')).st_mode & 0o7777))
    os.close(fd)
    listing()
elif s == 'hard_linked_lower_every_name_gone':
    fd = os.open(P('h1'), os.O_RDONLY)
    step('unlink h1', lambda: os.unlink(P('h1')))
    step('fstat', lambda: stat(fd))
    step('fchmod', lambda: os.fchmod(fd, 0o600))
    step('h2', lambda: mode('hd/h2'))
    step('unlink h2', lambda: os.unlink(P('hd/h2')))
    through(fd, writable=False)
    os.close(fd)
    listing()
    listing('hd')
elif s == 'hard_linked_lower_other_name_first':
    fd = os.open(P('h1'), os.O_RDONLY)
    step('unlink h2', lambda: os.unlink(P('hd/h2')))
    step('unlink h1', lambda: os.unlink(P('h1')))
    through(fd, writable=False)
    os.close(fd)
    listing('hd')
elif s == 'chown_to_nothing_copies_up':
    step('chown -1 -1', lambda: os.chown(P('a'), -1, -1))
    step('a', lambda: mode('a'))
# --- directories
elif s == 'new_directory':
    os.mkdir(P('dd'), 0o755)
    removed_directory('dd')
    listing()
elif s == 'lower_directory':
    removed_directory('empty')
    listing()
elif s == 'copied_up_directory':
    os.chmod(P('empty'), 0o750)
    removed_directory('empty')
    listing()
elif s == 'merged_directory':
    for n in ('e', 'f', 'n'):
        os.unlink(P('d1/' + n))
    removed_directory('d1')
    listing()
elif s == 'new_directory_renamed_over':
    os.mkdir(P('dd'), 0o755)
    removed_directory('dd', remove=lambda: step('rename over', lambda: os.rename(P('empty2'), P('dd'))))
    step('dd', lambda: mode('dd'))
    listing()
elif s == 'copied_up_directory_renamed_over':
    os.chmod(P('empty'), 0o750)
    removed_directory('empty', remove=lambda: step('rename over', lambda: os.rename(P('empty2'), P('empty'))))
    listing()
elif s == 'emptied_lower_directory_renamed_over':
    os.unlink(P('e/f'))
    removed_directory('e', remove=lambda: step('rename over', lambda: os.rename(P('empty2'), P('e'))))
    listing()
elif s == 'lower_directory_name_made_again':
    fd = os.open(P('empty'), os.O_RDONLY | os.O_DIRECTORY)
    fd2 = os.open(P('empty2'), os.O_RDONLY | os.O_DIRECTORY)
    step('rmdir', lambda: os.rmdir(P('empty')))
    step('rmdir', lambda: os.rmdir(P('empty2')))
    os.close(new_file('empty'))
    os.mkdir(P('empty2'))
    os.close(new_file('empty2/x'))
    step('fchmod, a file at the name', lambda: os.fchmod(fd, 0o700))
    step('fchmod, a directory at the name', lambda: os.fchmod(fd2, 0o700))
    step('fstat', lambda: stat(fd2))
    os.close(fd)
    os.close(fd2)
    listing()
elif s == 'working_directory_removed':
    os.mkdir(P('nd'))
    os.chdir(P('nd'))
    step('rmdir', lambda: os.rmdir(P('nd')))
    step('stat .', lambda: '%o nlink=%d' % (os.stat('.').st_mode, os.stat('.').st_nlink))
    step('listdir .', lambda: os.listdir('.'))
    step('create in it', lambda: os.open('z', os.O_CREAT | os.O_WRONLY, 0o644))
    step('chmod .', lambda: os.chmod('.', 0o700))
    os.chdir('/')
    listing()
# --- as uid 1000 (run by setpriv)
elif s == 'as_user_own_file':
    fd = new_file('shared/mine', b'mine\n')
    step('unlink', lambda: os.unlink(P('shared/mine')))
    through(fd, owner=(0, 0))
    os.close(fd)
    listing('shared')
elif s == 'as_user_lower_file':
    removed_file('shared/theirs', os.O_RDWR, owner=(1000, 0))
    listing('shared')
elif s == 'as_user_lower_file_read_only':
    removed_file('shared/theirs', os.O_RDONLY, owner=(1000, 1000))
    listing('shared')
elif s == 'as_user_roots_file':
    removed_file('shared/rootfile', os.O_RDWR, owner=(1000, 1000))
    listing('shared')
elif s == 'as_user_setuid_file':
    fd = os.open(P('shared/setuid'), os.O_RDWR)
    step('unlink', lambda: os.unlink(P('shared/setuid')))
    step('fstat', lambda: stat(fd))
    step('pwrite', lambda: os.pwrite(fd, b'w', 0))
    step('fstat after write', lambda: stat(fd))
    step('fchmod', lambda: os.fchmod(fd, 0o6755))
    step('ftruncate', lambda: os.ftruncate(fd, 2))
    step('fstat after truncate', lambda: stat(fd))
    os.close(fd)
    listing('shared')
elif s == 'as_user_own_directory':
    os.mkdir(P('shared/md'))
    removed_directory('shared/md', owner=(0, 0))
    listing('shared')
else:
    raise SystemExit('no scenario ' + s)
