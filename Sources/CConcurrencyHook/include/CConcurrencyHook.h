#pragma once

/// The address of the Swift runtime's `swift_task_enqueueGlobal_hook` (libswift_Concurrency),
/// linked directly rather than found with dlsym: the release daemon is linked statically and
/// exports no symbols, so dlsym cannot see it.
void *_Nullable *_Nonnull lr_swift_task_enqueueGlobal_hook_address(void);
