#include "jsonpath/template.h"
