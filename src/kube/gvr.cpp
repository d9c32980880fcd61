#include "kube/gvr.h"
