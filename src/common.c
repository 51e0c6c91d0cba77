/* common.c: the error record (see gan_common.h). */
#include "gan_common.h"

#include <stdarg.h>
#include <stdio.h>

int gan_err_set(gan_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}
