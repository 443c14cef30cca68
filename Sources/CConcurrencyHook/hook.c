#include "CConcurrencyHook.h"

extern void *_Nullable swift_task_enqueueGlobal_hook;

void *_Nullable *_Nonnull lr_swift_task_enqueueGlobal_hook_address(void) {
    return &swift_task_enqueueGlobal_hook;
}
