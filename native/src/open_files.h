// The open files of one mounted handle: file descriptors, directory handles
// and the inodes they have open.
#ifndef DINGOFS_SRC_OPEN_FILES_H_
#define DINGOFS_SRC_OPEN_FILES_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace dingofs {

// State of one inode opened through this handle. Size and times of a file
// being written live here until committed.
struct OpenInode {
  explicit OpenInode(uint64_t i) : ino(i) {}
  ~OpenInode();
  const uint64_t ino;
  std::mutex mu;          // guards the fields below; serialises writes
  int hostfd = -1;        // the data file, shared by every fd of the inode
  bool hostfd_rw = false;
  int appendfd = -1;      // the data file opened O_APPEND (appends of any fd)
  int64_t size = 0;
  int64_t mtime = 0;
  int64_t ctime = 0;
  bool dirty = false;     // size/times newer than the store
  bool marked = false;    // the store row says dirty=1 already
  uint64_t write_gen = 0; // bumped by every write
  int64_t growth = 0;     // bytes added since the last commit (capacity estimate)
  bool unsynced = false;  // written since the last data sync
  int64_t synced_size = 0;  // data file size at the last data sync
  uint32_t mode = 0;      // cached mode and flags for I/O checks
  uint32_t flags = 0;
  uint32_t uid = 0;
  int nopen = 0;          // fds of this handle (guarded by the store lock)
  // Inline form (format 2): the file's bytes live in the metadata store.
  // Writes land in `data` and are remembered by range; a commit merges those
  // ranges into the store's copy, so handles writing different ranges keep
  // each other's bytes.
  struct Range {
    int64_t start;
    int64_t end;
    uint64_t epoch;  // ranges of an epoch a commit has taken are dropped after it
  };
  bool inl = false;
  std::string data;           // the bytes as this handle knows them (zeros past its end)
  std::vector<Range> ranges;  // written here and not committed yet
  uint64_t epoch = 1;         // the epoch new ranges get
};

struct OpenFile {
  ~OpenFile();
  int fd = -1;
  uint64_t ino = 0;
  std::shared_ptr<OpenInode> oi;
  bool readable = false;
  bool writable = false;
  bool append = false;
  bool is_dir = false;
  std::mutex mu;  // guards pos and lockfd
  int64_t pos = 0;
  int lockfd = -1;  // private description of the lock file for flock()
};

struct DirHandle {
  uint64_t ino = 0;
  std::mutex mu;
  int stage = 0;  // 0: ".", 1: "..", 2: entries
  std::string cursor;
  bool eof = false;
};

// The table of a handle's descriptors. Descriptor and directory-handle
// numbers are never reused while the handle is mounted.
class OpenTable {
 public:
  // Registers an open file and returns its descriptor (EMFILE when numbers
  // ran out).
  int AddFile(std::shared_ptr<OpenFile> of);
  std::shared_ptr<OpenFile> File(int fd);      // EBADF
  std::shared_ptr<OpenFile> TakeFile(int fd);  // removes it; EBADF
  uint64_t AddDir(std::shared_ptr<DirHandle> dh);
  std::shared_ptr<DirHandle> Dir(uint64_t id);  // EBADF
  void RemoveDir(uint64_t id);                   // EBADF
  // Unmount: forgets every directory handle and returns every open file.
  std::vector<std::shared_ptr<OpenFile>> TakeAll();

  // Inodes with open descriptors in this handle. Guarded by the owner's
  // store lock (not by this table's), as the store's commits update them.
  std::unordered_map<uint64_t, std::shared_ptr<OpenInode>> inodes;

 private:
  std::mutex mu_;  // files_, dirs_ and the counters
  std::unordered_map<int, std::shared_ptr<OpenFile>> files_;
  std::unordered_map<uint64_t, std::shared_ptr<DirHandle>> dirs_;
  int next_fd_ = 3;
  uint64_t next_dh_ = 1;
};

}  // namespace dingofs

#endif  // DINGOFS_SRC_OPEN_FILES_H_
