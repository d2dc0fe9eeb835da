#include "jsonpath/intrinsics.h"
