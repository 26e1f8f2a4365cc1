// Data files: one sparse host file per regular-file inode, and the OFD byte
// locks used for openers, flock() and the mount lock.
#ifndef DINGOFS_SRC_DATA_H_
#define DINGOFS_SRC_DATA_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace dingofs {

// <dir>/<xx>/<ino>, xx = low byte of the inode number in hex.
std::string DataPath(const std::string& dir, uint64_t ino);
// True when the data directory holds at least one data file.
bool HasDataFiles(const std::string& dir);
// Creates the 256 fan-out directories. Returns 0 or -errno.
int PrepareDataDir(const std::string& dir);

// Byte offsets in the filesystem's lock file.
constexpr off_t kMountLockOff = 0;
inline off_t OpenLockOff(uint64_t ino) { return (off_t{1} << 40) + static_cast<off_t>(ino); }
inline off_t FlockOff(uint64_t ino) { return (off_t{1} << 41) + static_cast<off_t>(ino); }

// Open-file-description lock of one byte. type: F_RDLCK, F_WRLCK, F_UNLCK.
// Returns 0, -EWOULDBLOCK (conflict, !wait), -EINTR, -errno.
int OfdLock(int fd, off_t off, short type, bool wait);

// Allocated bytes of an open host file (st_blocks * 512), 0 on error.
int64_t AllocatedBytes(int fd);

// pread/pwrite loops. FullPread returns the bytes read (short only at the end
// of the file) or -errno; FullPwrite the bytes written, short when an error
// came after some of them, or -errno.
ssize_t FullPread(int fd, void* buf, size_t n, off_t off);
ssize_t FullPwrite(int fd, const void* buf, size_t n, off_t off);

}  // namespace dingofs

#endif  // DINGOFS_SRC_DATA_H_
