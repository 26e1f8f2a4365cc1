#define TINYTEST_MAIN 1
#include "tinytest.h"
