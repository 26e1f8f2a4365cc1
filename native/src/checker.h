// Consistency checker of a local filesystem (dingofs_x_fsck).
#ifndef DINGOFS_SRC_CHECKER_H_
#define DINGOFS_SRC_CHECKER_H_

#include <string>

namespace dingofs {

// Returns the number of problems (in-use orphans are reported, not counted)
// or -errno; one line per finding in *report.
int RunFsck(const std::string& addr, bool repair, std::string* report);

}  // namespace dingofs

#endif  // DINGOFS_SRC_CHECKER_H_
