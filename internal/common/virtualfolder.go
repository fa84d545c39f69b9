package common

import "io/fs"

// Virtual folders are mounted by the administrator: a user cannot rename,
// move or delete one, nor a directory that leads to one. These errors
// say so instead of a bare "permission denied"; they are of kind
// fs.ErrPermission, so every protocol answers with its usual status.
func errVirtualFolderRename() error {
	return newErr(fs.ErrPermission, "a virtual folder cannot be renamed")
}

func errVirtualFolderDelete() error {
	return newErr(fs.ErrPermission, "a virtual folder cannot be deleted")
}

// errVirtualFolderInside refuses to act (verb: "renamed", "deleted") on a
// directory that contains a virtual folder.
func errVirtualFolderInside(verb string) error {
	return newErr(fs.ErrPermission, "a directory containing a virtual folder cannot be "+verb)
}

// errVirtualFolderRemove is the refusal to delete vpath, a mount point or
// a directory above one.
func (c *BaseConnection) errVirtualFolderRemove(vpath string) error {
	if c.isMountPoint(vpath) {
		return errVirtualFolderDelete()
	}
	return errVirtualFolderInside("deleted")
}

// IsVirtualFolderPath reports whether vpath is a virtual folder's mount
// point or a directory that leads to one: such entries cannot be
// renamed, moved or deleted (the web client hides those actions).
func (c *BaseConnection) IsVirtualFolderPath(vpath string) bool {
	return vpath != "/" && c.hasMountBelow(vpath)
}
