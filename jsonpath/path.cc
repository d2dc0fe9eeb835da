#include "jsonpath/path.h"
