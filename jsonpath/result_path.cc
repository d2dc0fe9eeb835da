#include "jsonpath/result_path.h"
