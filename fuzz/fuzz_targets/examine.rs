#![no_main]
//! The whole examination of one file (`scan::examine`, then `explain`): see `whole_file.rs`.
mod whole_file;
use libfuzzer_sys::fuzz_target;

/// Lets libFuzzer report a stack overflow as a crash, with the input saved. Without a
/// sanitizer nothing gives the main thread an alternate signal stack, so libFuzzer's
/// SIGSEGV handler cannot run on a full stack and the process just dies (no input saved).
/// libFuzzer keeps `SA_ONSTACK` when the action it replaces has it (set here, before it
/// installs its handlers).
fn handle_stack_overflow() {
    const SIZE: usize = 1 << 18;
    let stack: &'static mut [u8] = Box::leak(vec![0_u8; SIZE].into_boxed_slice());
    // SAFETY: the alternate stack is leaked (lives for the process); the actions installed
    // are the default ones, with the flag that makes them run on that stack.
    unsafe {
        let alt = libc::stack_t {
            ss_sp: stack.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: SIZE,
        };
        libc::sigaltstack(&alt, std::ptr::null_mut());
        for signal in [libc::SIGSEGV, libc::SIGBUS] {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            action.sa_flags = libc::SA_ONSTACK;
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

fuzz_target!(init: handle_stack_overflow(), |data: &[u8]| whole_file::check(data));
