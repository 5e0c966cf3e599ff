// runtime.cpp: the CPU emulator of PolicyZip's CUDA kernels: device memory with guard zones, launches run as
// blocks one after another on the calling CPU thread, the threads of a block as cooperative fibers, and the C API
// that java/policyzip/backend/cuda/EmuLibrary.java binds (pzemu_*). Built by native-build/cuda-emu.sh.
//
// Determinism: one launch at a time (a process-wide lock), blocks in x, then y, then z order, and within a block the
// fibers in thread order, each running until it blocks (barrier, warp operation) or returns. That order makes a
// missing __syncthreads show: a thread reads what the threads after it have not written yet (the NaN fill of shared
// memory) or what they already overwrote.
//
// Errors never throw across the C API: each call returns a status and writes one line into the caller's buffer.
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <assert.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdlib>
#include <map>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "emu.h"

// x86-64: a dozen instructions of context switch (pzemu_switch). Elsewhere, or with -DPZ_EMU_UCONTEXT: ucontext, which
// also works but makes a system call per switch.
#if defined(__x86_64__) && !defined(PZ_EMU_UCONTEXT)
#define PZ_EMU_ASM 1
#else
#include <ucontext.h>
#endif

extern "C" const char pz_emu_sources[];   // generated: "sha256  path" lines of what this library was built from

namespace emu {

thread_local Tls tls;

namespace {

constexpr unsigned MAX_BLOCK_THREADS = 1024;
constexpr long long MAX_GRID_X = 2147483647LL, MAX_GRID_YZ = 65535;
constexpr long MAX_SHARED = 48 * 1024;        // static shared memory per block without opt-in
constexpr size_t GUARD = 4096;                 // bytes of pattern before and after each device allocation
constexpr size_t ALIGN = 256;                  // cuMemAlloc's alignment
constexpr uint32_t POISON = 0x7FBADBADu;       // a float NaN: fresh memory, guard zones, shared memory, undefined lanes
constexpr uint64_t POISON64 = 0x7FF4BADB7FBADBADull;   // a double NaN whose low word is POISON
constexpr size_t STACK = 256 * 1024;           // per fiber, below a PROT_NONE page

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

void put(char* err, int len, const std::string& s) {
    if (err == nullptr || len <= 0) return;
    size_t n = std::min(s.size(), (size_t)len - 1);
    memcpy(err, s.data(), n);
    err[n] = 0;
}

// ------------------------------------------------------------------------------------------------ registry

std::vector<const KernelInfo*>& registry() {
    static std::vector<const KernelInfo*> r;
    return r;
}

const KernelInfo* find_kernel(const char* name) {
    for (const KernelInfo* k : registry())
        if (strcmp(k->name, name) == 0) return k;
    return nullptr;
}

// ------------------------------------------------------------------------------------------------ memory

struct Alloc {
    char* raw;
    size_t raw_size;
    uint64_t user;
    size_t size;
    std::string label;
};

std::mutex lock;                       // allocations and launches: one launch at a time, process-wide
std::map<uint64_t, Alloc> allocs;      // by user address

inline unsigned char pattern_at(const char* raw, const char* p) {
    return (unsigned char)(POISON >> (8 * ((p - raw) & 3)));
}

void fill(char* raw, char* from, char* to) {
    for (char* p = from; p < to; p++) *p = (char)pattern_at(raw, p);
}

// The pattern as it lies from a 4-aligned start, long enough for any guard zone: memcmp finds damage fast.
const unsigned char* pattern_bytes() {
    static unsigned char* p = [] {
        static unsigned char b[2 * GUARD + ALIGN + 8];
        for (size_t i = 0; i < sizeof b; i++) b[i] = (unsigned char)(POISON >> (8 * (i & 3)));
        return b;
    }();
    return p;
}

struct Damage {
    bool before;
    size_t first, last;   // byte distances from the buffer's edge, counted outwards from 0
};

// The damaged bytes of one guard zone, if any.
bool damaged(const Alloc& a, std::vector<Damage>& out) {
    size_t tail = (size_t)(a.user - (uint64_t)a.raw) + a.size;
    if (memcmp(a.raw, pattern_bytes(), (size_t)(a.user - (uint64_t)a.raw)) == 0
        && memcmp(a.raw + tail, pattern_bytes() + (tail & 3), a.raw_size - tail) == 0)
        return false;
    bool any = false;
    char* lo = a.raw;
    char* user = (char*)a.user;
    long f = -1, l = -1;
    for (char* p = lo; p < user; p++) {
        if ((unsigned char)*p != pattern_at(a.raw, p)) {
            long d = (long)(user - p) - 1;   // 0: the byte just before the buffer
            if (l < 0) l = d;
            f = d;
        }
    }
    if (f >= 0) { out.push_back({true, (size_t)f, (size_t)l}); any = true; }
    f = l = -1;
    char* end = user + a.size;
    for (char* p = end; p < a.raw + a.raw_size; p++) {
        if ((unsigned char)*p != pattern_at(a.raw, p)) {
            long d = (long)(p - end);
            if (f < 0) f = d;
            l = d;
        }
    }
    if (f >= 0) { out.push_back({false, (size_t)f, (size_t)l}); any = true; }
    return any;
}

void repair(Alloc& a) {
    fill(a.raw, a.raw, (char*)a.user);
    fill(a.raw, (char*)a.user + a.size, a.raw + a.raw_size);
}

std::string describe(const Alloc& a) {
    return fmt("buffer '%s' (%zu bytes at 0x%llx)", a.label.c_str(), a.size, (unsigned long long)a.user);
}

std::string damage_text(const Alloc& a, const Damage& d) {
    if (d.before)
        return fmt("it changed bytes %zu to %zu before the start of %s", d.first + 1, d.last + 1, describe(a).c_str());
    return fmt("it changed bytes %zu to %zu past the end of %s", d.first, d.last, describe(a).c_str());
}

// The live allocation holding [p, p + bytes), or null. A pointer one past the end is inside for bytes = 0.
const Alloc* holding(uint64_t p, uint64_t bytes) {
    auto it = allocs.upper_bound(p);
    if (it == allocs.begin()) return nullptr;
    --it;
    const Alloc& a = it->second;
    if (p < a.user || p > a.user + a.size) return nullptr;
    if (bytes > a.user + a.size - p) return nullptr;
    return &a;
}

// ------------------------------------------------------------------------------------------------ fibers

enum class St : unsigned char { RUN, BAR, WARP, DONE };

struct Fiber {
    void* sp = nullptr;
    char* stack = nullptr;   // the mapping: a PROT_NONE page, then STACK bytes
    uint3 tid{};
    St st = St::DONE;
    int op = 0, param = 0, width = 0, kind = 0, pred = 0;
    unsigned mask = 0;
    uint64_t value = 0, result = 0;
    const char* what = nullptr;
};

struct Runner {
    std::vector<Fiber> fibers;
    void* sched_sp = nullptr;
    int current = -1;
    int threads = 0;
    const KernelInfo* kernel = nullptr;
    void** args = nullptr;
    bool failed = false;
    std::string error;
    Tls* tls = nullptr;   // this CPU thread's emu::tls, looked up once per launch
    int schedule = 0;     // SCHEDULE_*: the order in which blocks and a block's threads run
    uint64_t seed = 0;    // SCHEDULE_SHUFFLE's
    std::vector<int> order;   // the current block's threads, in the order they run
#if !defined(PZ_EMU_ASM)
    std::vector<ucontext_t> uc;
    ucontext_t sched_uc;
#endif
};

Runner runner;   // used under `lock` only

// The schedules (pzemu_launch_ordered). Forward runs blocks and threads in index order, reverse in the opposite order,
// shuffle in a permutation drawn from the seed (threads: per block; blocks: an affine permutation of the grid). Each
// thread still runs until it reaches a barrier or a warp intrinsic or returns: the orders differ in which thread of a
// phase runs first. Between forward and reverse every two threads of a block (and every two blocks) meet in both
// orders, so a result that depends on who ran first (a missing barrier, a read of a value another thread overwrites in
// the same phase, a block reading another block's output) differs from the forward run or reads the NaN pattern.
enum { SCHEDULE_FORWARD = 0, SCHEDULE_REVERSE = 1, SCHEDULE_SHUFFLE = 2 };

uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// The order of the block with linear index `block`'s threads under r's schedule, into r.order.
void thread_order(Runner& r, uint64_t block) {
    r.order.resize(r.threads);
    for (int i = 0; i < r.threads; i++) r.order[i] = r.schedule == SCHEDULE_REVERSE ? r.threads - 1 - i : i;
    if (r.schedule != SCHEDULE_SHUFFLE) return;
    uint64_t s = splitmix64(r.seed ^ splitmix64(block));
    for (int i = r.threads - 1; i > 0; i--) {   // Fisher–Yates
        s = splitmix64(s);
        int j = (int)(s % (uint64_t)(i + 1));
        std::swap(r.order[i], r.order[j]);
    }
}

// The i-th block to run of n under r's schedule (a linear index: x fastest).
struct BlockOrder {
    uint64_t n, a = 1, c = 0;
    int schedule;
    BlockOrder(uint64_t n, int schedule, uint64_t seed) : n(n), schedule(schedule) {
        if (schedule != SCHEDULE_SHUFFLE || n < 2) return;
        c = splitmix64(seed) % n;
        a = splitmix64(seed ^ 0x5851f42d4c957f2dull) % n;
        if (a == 0) a = 1;
        while (std::gcd(a, n) != 1) a = a + 1 == n ? 1 : a + 1;   // a unit mod n, so i -> a·i + c is a bijection
    }
    uint64_t at(uint64_t i) const {
        if (schedule == SCHEDULE_REVERSE) return n - 1 - i;
        if (schedule != SCHEDULE_SHUFFLE) return i;
        return (uint64_t)(((unsigned __int128)a * i + c) % n);
    }
};
size_t page_size() { static size_t p = (size_t)sysconf(_SC_PAGESIZE); return p; }

}  // namespace
}  // namespace emu

#if defined(PZ_EMU_ASM)
// pzemu_switch(void** save, void* load): saves the callee-saved registers on the current stack, stores the stack
// pointer in *save and continues on the stack `load` (made by pzemu_switch or init_fiber). MXCSR and the x87 control
// word are not switched (16 bytes are left for them): every fiber runs with the launching thread's, which CUDA code
// cannot change, and restoring them costs about 15 % of a switch.
// pzemu_trampoline: a new fiber's first return address; calls r12(r13). pzemu_resume(void* load): the second half of
// pzemu_switch (which jumps to it after saving), and where the fault handler sends a fiber that faulted: back to the
// scheduler, the fiber abandoned.
extern "C" void pzemu_switch(void** save, void* load) __attribute__((visibility("hidden")));
extern "C" void pzemu_trampoline() __attribute__((visibility("hidden")));
extern "C" void pzemu_resume(void* load) __attribute__((visibility("hidden")));
asm(R"(
    .text
    .p2align 4
    .globl pzemu_switch
    .hidden pzemu_switch
    .type pzemu_switch, @function
pzemu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $16, %rsp
    movq %rsp, (%rdi)
    movq %rsi, %rdi
    jmp pzemu_resume
    .size pzemu_switch, .-pzemu_switch
    .p2align 4
    .globl pzemu_trampoline
    .hidden pzemu_trampoline
    .type pzemu_trampoline, @function
pzemu_trampoline:
    movq %r13, %rdi
    callq *%r12
    ud2
    .size pzemu_trampoline, .-pzemu_trampoline
    .p2align 4
    .globl pzemu_resume
    .hidden pzemu_resume
    .type pzemu_resume, @function
pzemu_resume:
    movq %rdi, %rsp
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size pzemu_resume, .-pzemu_resume
)");
#endif

namespace emu {
namespace {

[[noreturn]] void fiber_main(void*) {
    Runner& r = runner;
    r.kernel->invoke(r.args);
    Fiber& f = r.fibers[r.current];
    f.st = St::DONE;
#if defined(PZ_EMU_ASM)
    pzemu_switch(&f.sp, r.sched_sp);
#else
    swapcontext(&r.uc[r.current], &r.sched_uc);
#endif
    __builtin_trap();   // a finished fiber is never resumed
}

#if !defined(PZ_EMU_ASM)
void fiber_main_uc() { fiber_main(nullptr); }
#endif

bool ensure_stacks(Runner& r, int n) {
    if ((int)r.fibers.size() < n) r.fibers.resize(n);
#if !defined(PZ_EMU_ASM)
    if ((int)r.uc.size() < n) r.uc.resize(n);
#endif
    for (int i = 0; i < n; i++) {
        Fiber& f = r.fibers[i];
        if (f.stack != nullptr) continue;
        void* m = mmap(nullptr, STACK + page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return false;
        mprotect(m, page_size(), PROT_NONE);   // a stack overflow faults instead of overwriting the next stack
        f.stack = (char*)m;
    }
    return true;
}

void init_fiber(Runner& r, int i) {
    Fiber& f = r.fibers[i];
    // Stack tops staggered by 1088 bytes per fiber (mod 64 KiB): 256 KiB apart, they would all fall in the same cache sets.
    char* top = f.stack + page_size() + STACK - (size_t)(i * 1088) % 65536;
#if defined(PZ_EMU_ASM)
    uint64_t* s = (uint64_t*)(top - 88);   // after the final `ret`, rsp = top - 16: 16-byte aligned for the call
    s[0] = s[1] = 0;                        // the unused MXCSR / x87 control word slot
    s[2] = s[3] = 0;                        // r15, r14
    s[4] = 0;                               // r13: the argument
    s[5] = (uint64_t)(void*)&fiber_main;    // r12: the function
    s[6] = s[7] = 0;                        // rbx, rbp
    s[8] = (uint64_t)(void*)&pzemu_trampoline;
    f.sp = s;
#else
    getcontext(&r.uc[i]);
    r.uc[i].uc_stack.ss_sp = f.stack + page_size();
    r.uc[i].uc_stack.ss_size = STACK;
    r.uc[i].uc_link = nullptr;
    makecontext(&r.uc[i], fiber_main_uc, 0);
#endif
    f.st = St::RUN;
}

void resume(Runner& r, int i) {
    r.current = i;
    r.tls->thread_idx = r.fibers[i].tid;
#if defined(PZ_EMU_ASM)
    pzemu_switch(&r.sched_sp, r.fibers[i].sp);
#else
    swapcontext(&r.sched_uc, &r.uc[i]);
#endif
    r.current = -1;
}

// From a fiber: back to the scheduler until resumed.
void yield_to_scheduler() {
    Runner& r = runner;
    int i = r.current;
#if defined(PZ_EMU_ASM)
    pzemu_switch(&r.fibers[i].sp, r.sched_sp);
#else
    swapcontext(&r.uc[i], &r.sched_uc);
#endif
}

// "threads 3, 96–127" (linear indices x + y·bx + z·bx·by), at most a few ranges.
std::string thread_list(const Runner& r, St st) {
    std::string s;
    int ranges = 0, i = 0, n = r.threads;
    while (i < n) {
        if (r.fibers[i].st != st) { i++; continue; }
        int j = i;
        while (j + 1 < n && r.fibers[j + 1].st == st) j++;
        if (ranges == 4) { s += ", ..."; break; }
        s += (ranges ? ", " : "") + (i == j ? fmt("%d", i) : fmt("%d–%d", i, j));
        ranges++;
        i = j + 1;
    }
    return s;
}

const char* op_name(const Fiber& f) { return f.what ? f.what : "a warp operation"; }

void fail(Runner& r, const std::string& msg) {
    if (!r.failed) { r.failed = true; r.error = msg; }
}

// Resolves every complete warp operation; false with r.failed set if a waiting one can never complete.
bool resolve_warps(Runner& r) {
    bool resolved = false;
    int n = r.threads;
    // __activemask first: it does not wait, and gives the lanes of the warp that are at that call now (the others have
    // returned or wait elsewhere: at a barrier, at another intrinsic, or at this one later, after diverging).
    for (int base = 0; base < n; base += 32) {
        unsigned here = 0;
        for (int j = 0; j < 32 && base + j < n; j++)
            if (r.fibers[base + j].st == St::WARP && r.fibers[base + j].op == ACTIVE) here |= 1u << j;
        for (int j = 0; j < 32; j++) {
            if (!(here >> j & 1)) continue;
            r.fibers[base + j].result = here;
            r.fibers[base + j].st = St::RUN;
            resolved = true;
        }
    }
    if (resolved) return true;
    for (int base = 0; base < n; base += 32) {
        for (int li = 0; li < 32 && base + li < n; li++) {
            Fiber& f = r.fibers[base + li];
            if (f.st != St::WARP) continue;
            unsigned mask = f.mask;
            int warp = base / 32;
            if (!(mask >> li & 1)) {
                fail(r, fmt("thread %d (warp %d, lane %d) calls %s with mask 0x%08x, which does not include its own lane",
                            base + li, warp, li, op_name(f), mask));
                return false;
            }
            bool shfl = f.op <= SHFL_XOR;
            if (shfl && (f.width < 1 || f.width > 32 || (f.width & (f.width - 1)) != 0)) {
                fail(r, fmt("thread %d calls %s with width %d (a power of 2 from 1 to 32 is needed)", base + li, op_name(f), f.width));
                return false;
            }
            unsigned group = 0;
            for (int j = 0; j < 32; j++) {
                if (!(mask >> j & 1) || base + j >= n) continue;   // lanes past the block's end are inactive
                const Fiber& g = r.fibers[base + j];
                if (g.st == St::DONE) continue;                      // exited lanes may be named (their values are undefined)
                if (g.st == St::BAR) {
                    fail(r, fmt("deadlock in warp %d: lane %d waits in %s (mask 0x%08x) for lane %d, which waits in __syncthreads",
                                warp, li, op_name(f), mask, j));
                    return false;
                }
                if (g.op != f.op || g.mask != f.mask || (shfl && g.width != f.width)) {
                    fail(r, fmt("warp %d diverged: lane %d is in %s (mask 0x%08x) and lane %d in %s (mask 0x%08x); every "
                                "non-exited lane named in the mask must call the same intrinsic with the same mask",
                                warp, li, op_name(f), mask, j, op_name(g), g.mask));
                    return false;
                }
                group |= 1u << j;
            }
            // Every non-exited named lane is here: compute each lane's result.
            auto val = [&](int j) { return r.fibers[base + j].value; };
            auto in = [&](int j) { return j >= 0 && j < 32 && (group >> j & 1); };
            uint64_t all = 0;
            switch (f.op) {
                case BALLOT: case ANY: case ALL:
                    for (int j = 0; j < 32; j++) if (in(j) && val(j)) all |= 1ull << j;
                    break;
                default: break;
            }
            for (int j = 0; j < 32; j++) {
                if (!in(j)) continue;
                Fiber& g = r.fibers[base + j];
                uint64_t res = 0;
                switch (f.op) {
                    case SHFL_IDX: case SHFL_UP: case SHFL_DOWN: case SHFL_XOR: {
                        // PTX shfl.sync: c = ((32 − width) << 8) | clamp, clamp 0 for up, 31 otherwise.
                        int seg = 32 - f.width, b = g.param & 31, lane = j, src = lane;
                        int maxLane = f.op == SHFL_UP ? (lane & seg) : ((lane & seg) | (31 & ~seg));
                        int minLane = lane & seg;
                        bool ok;
                        if (f.op == SHFL_UP) { src = lane - b; ok = src >= maxLane; }
                        else if (f.op == SHFL_DOWN) { src = lane + b; ok = src <= maxLane; }
                        else if (f.op == SHFL_XOR) { src = lane ^ b; ok = src <= maxLane; }
                        else { src = minLane | (b & ~seg); ok = src <= maxLane; }
                        if (!ok) src = lane;
                        res = in(src) ? val(src) : POISON64;   // an inactive or unnamed source lane: undefined
                        break;
                    }
                    case BALLOT: res = (uint32_t)all; break;
                    case ANY: res = all != 0; break;
                    case ALL: res = all == group; break;
                    case SYNCWARP: res = 0; break;
                    case REDUCE_ADD: case REDUCE_MIN: case REDUCE_MAX: case REDUCE_UMIN: case REDUCE_UMAX:
                    case REDUCE_AND: case REDUCE_OR: case REDUCE_XOR: {
                        bool first = true;
                        uint32_t acc = 0;
                        for (int k = 0; k < 32; k++) {
                            if (!in(k)) continue;
                            uint32_t v = (uint32_t)val(k);
                            if (first) { acc = v; first = false; continue; }
                            switch (f.op) {
                                case REDUCE_ADD: acc += v; break;
                                case REDUCE_MIN: acc = (int32_t)v < (int32_t)acc ? v : acc; break;
                                case REDUCE_MAX: acc = (int32_t)v > (int32_t)acc ? v : acc; break;
                                case REDUCE_UMIN: acc = v < acc ? v : acc; break;
                                case REDUCE_UMAX: acc = v > acc ? v : acc; break;
                                case REDUCE_AND: acc &= v; break;
                                case REDUCE_OR: acc |= v; break;
                                default: acc ^= v; break;
                            }
                        }
                        res = acc;
                        break;
                    }
                    case MATCH_ANY:
                        for (int k = 0; k < 32; k++) if (in(k) && val(k) == g.value) res |= 1ull << k;
                        break;
                    case MATCH_ALL: {
                        bool same = true;
                        for (int k = 0; k < 32; k++) if (in(k) && val(k) != g.value) same = false;
                        res = same ? group : 0;
                        break;
                    }
                    default: break;
                }
                g.result = res;
                g.st = St::RUN;
            }
            resolved = true;
        }
    }
    return resolved;
}

// A kernel that faults (a null or wild pointer: on a GPU, CUDA_ERROR_ILLEGAL_ADDRESS; an integer division by zero,
// which a GPU does not trap; a misaligned access, trapped by the alignment checks compiled into the kernels) must end its
// launch with an error, not the JVM. During a launch, SIGSEGV, SIGBUS, SIGFPE and SIGILL go to on_fault: a fault of a fiber of this launch's thread becomes the launch's error and the fiber is abandoned (its
// context is redirected to pzemu_resume, back into the scheduler); any other signal goes on to the handler that was
// there before (the JVM's: it uses SIGSEGV itself, e.g. for safepoint polls).
#if defined(PZ_EMU_ASM)
struct sigaction previous[4];
const int fault_signals[4] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
volatile sig_atomic_t in_launch = 0;
pthread_t launcher;
char fault_text[256];

void chain(int sig, siginfo_t* si, void* uc) {
    for (int i = 0; i < 4; i++) {
        if (fault_signals[i] != sig) continue;
        const struct sigaction& p = previous[i];
        if (p.sa_flags & SA_SIGINFO) {
            p.sa_sigaction(sig, si, uc);
        } else if (p.sa_handler == SIG_DFL) {
            signal(sig, SIG_DFL);   // the faulting instruction runs again and ends the process, as without us
        } else if (p.sa_handler != SIG_IGN) {
            p.sa_handler(sig);
        }
    }
}

void on_fault(int sig, siginfo_t* si, void* ucv) {
    Runner& r = runner;
    if (!in_launch || !pthread_equal(pthread_self(), launcher) || r.current < 0) {
        chain(sig, si, ucv);
        return;
    }
    ucontext_t* uc = (ucontext_t*)ucv;
    uint64_t addr = (uint64_t)si->si_addr;
    if (sig == SIGFPE) {
        snprintf(fault_text, sizeof fault_text, "thread (%u, %u, %u): %s (SIGFPE; a GPU does not trap, the result is undefined)",
                 tls.thread_idx.x, tls.thread_idx.y, tls.thread_idx.z,
                 si->si_code == FPE_INTDIV ? "integer division by zero" : "integer overflow in a division");
    } else if (sig == SIGILL) {
        // The kernels are compiled with -fsanitize=alignment -fsanitize-undefined-trap-on-error: ud2 on a misaligned access.
        snprintf(fault_text, sizeof fault_text, "thread (%u, %u, %u): a misaligned memory access (an address that is not a "
                 "multiple of its type's alignment, e.g. a float4 off a 16-byte boundary; on a GPU: "
                 "CUDA_ERROR_MISALIGNED_ADDRESS), or another trap (SIGILL)", tls.thread_idx.x, tls.thread_idx.y, tls.thread_idx.z);
    } else {
        snprintf(fault_text, sizeof fault_text, "thread (%u, %u, %u): memory access at address 0x%llx%s, outside every device "
                 "buffer (%s; on a GPU: CUDA_ERROR_ILLEGAL_ADDRESS)", tls.thread_idx.x, tls.thread_idx.y, tls.thread_idx.z,
                 (unsigned long long)addr, addr < 65536 ? " (a null pointer)" : "", sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
    }
    r.fibers[r.current].st = St::DONE;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(void*)&pzemu_resume;
    uc->uc_mcontext.gregs[REG_RDI] = (greg_t)r.sched_sp;
}

struct FaultGuard {
    FaultGuard() {
        fault_text[0] = 0;
        launcher = pthread_self();
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < 4; i++) sigaction(fault_signals[i], &sa, &previous[i]);
        in_launch = 1;
    }
    ~FaultGuard() {
        in_launch = 0;
        for (int i = 0; i < 4; i++) sigaction(fault_signals[i], &previous[i], nullptr);
    }
};
#else
struct FaultGuard {};   // without pzemu_resume a fault ends the process, as on any native crash
const char fault_text[1] = "";
#endif

std::string block_name() {
    return fmt("block (%u, %u, %u)", tls.block_idx.x, tls.block_idx.y, tls.block_idx.z);
}

// Runs the current block to its end; false with r.failed set on an error.
bool run_block(Runner& r) {
    for (int i = 0; i < r.threads; i++) init_fiber(r, i);
    for (;;) {
        for (int j = 0; j < r.threads; j++) {
            int i = r.order[j];
            if (r.fibers[i].st != St::RUN) continue;
            resume(r, i);
            if (fault_text[0] != 0) fail(r, fault_text);
            if (r.failed) return false;
        }
        int done = 0, bar = 0, warp = 0;
        for (int i = 0; i < r.threads; i++) {
            St s = r.fibers[i].st;
            done += s == St::DONE;
            bar += s == St::BAR;
            warp += s == St::WARP;
        }
        if (done == r.threads) return true;
        if (warp > 0) {
            if (resolve_warps(r)) continue;
            if (r.failed) return false;
        }
        if (bar == r.threads) {
            int kind = r.fibers[0].kind, count = 0;
            for (int i = 0; i < r.threads; i++) {
                if (r.fibers[i].kind != kind) {
                    fail(r, fmt("threads 0 and %d wait at different kinds of block barrier (__syncthreads and its _count/_and/_or "
                                "variants)", i));
                    return false;
                }
                count += r.fibers[i].pred;
            }
            int res = kind == BAR_COUNT ? count : kind == BAR_AND ? count == r.threads : kind == BAR_OR ? count > 0 : 0;
            for (int i = 0; i < r.threads; i++) {
                r.fibers[i].result = (uint64_t)res;
                r.fibers[i].st = St::RUN;
            }
            continue;
        }
        fail(r, fmt("__syncthreads reached by %d of %d threads; thread%s %s returned without reaching it (a divergent "
                    "barrier: on a GPU the block would hang or misbehave)",
                    bar, r.threads, done == 1 ? "" : "s", thread_list(r, St::DONE).c_str()));
        return false;
    }
}

// This CPU thread's copy of the library's TLS segment (the __shared__ arrays, and emu::tls).
struct TlsBlock {
    char* base = nullptr;
    size_t size = 0;
};

int find_tls(struct dl_phdr_info* info, size_t, void* p) {
    TlsBlock* b = (TlsBlock*)p;
    if (info->dlpi_tls_data == nullptr) return 0;
    char* anchor = (char*)&tls;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_TLS) continue;
        char* base = (char*)info->dlpi_tls_data;
        if (anchor >= base && anchor < base + info->dlpi_phdr[i].p_memsz) {
            b->base = base;
            b->size = info->dlpi_phdr[i].p_memsz;
            return 1;
        }
    }
    return 0;
}

// Fills the kernel's static shared arrays with the NaN pattern.
void poison_shared(const TlsBlock& b, const KernelInfo* k) {
    if (b.base == nullptr) return;
    for (const long* e = k->shared_list; e[0] >= 0; e += 2) {
        uint32_t* w = (uint32_t*)(b.base + e[0]);   // __shared__ arrays hold 4-byte (or larger) aligned types
        for (long i = 0; i < e[1] / 4; i++) w[i] = POISON;
    }
}

}  // namespace

Registration::Registration(const KernelInfo* k, int n) {
    for (int i = 0; i < n; i++) registry().push_back(&k[i]);
}

int barrier(int kind, int pred) {
    Runner& r = runner;
    if (r.current < 0) trap("__syncthreads called outside a kernel");
    Fiber& f = r.fibers[r.current];
    f.st = St::BAR;
    f.kind = kind;
    f.pred = pred;
    yield_to_scheduler();
    return (int)f.result;
}

uint64_t warp(int op, unsigned mask, uint64_t value, int param, int width, const char* what) {
    Runner& r = runner;
    if (r.current < 0) trap("a warp intrinsic called outside a kernel");
    Fiber& f = r.fibers[r.current];
    f.st = St::WARP;
    f.op = op;
    f.mask = mask;
    f.value = value;
    f.param = param;
    f.width = width;
    f.what = what;
    yield_to_scheduler();
    return f.result;
}

unsigned active_mask() {
    return (unsigned)warp(ACTIVE, 0, 0, 0, 32, "__activemask");
}

long long clock() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void trap(const char* what) {
    Runner& r = runner;
    if (r.current < 0) {
        fprintf(stderr, "CUDA emulator: %s outside a kernel\n", what);
        abort();
    }
    fail(r, fmt("thread (%u, %u, %u): %s", tls.thread_idx.x, tls.thread_idx.y, tls.thread_idx.z, what));
    r.fibers[r.current].st = St::DONE;
    yield_to_scheduler();   // the scheduler sees the failure and abandons the block
    __builtin_trap();
}

}  // namespace emu

// A device-side assert() ends the launch with an error instead of aborting the JVM.
extern "C" __attribute__((visibility("hidden"))) void __assert_fail(const char* expr, const char* file, unsigned line,
                                                                     const char* fn) noexcept {
    char buf[512];
    snprintf(buf, sizeof buf, "assertion failed: %s (%s:%u, %s)", expr, file, line, fn);
    emu::trap(buf);
}

// ------------------------------------------------------------------------------------------------ C API

using namespace emu;

#define PZ_API extern "C" __attribute__((visibility("default")))

PZ_API const char* pzemu_version() {
#if defined(PZ_EMU_ASM)
    return "PolicyZip CUDA emulator 1 (x86-64 fibers, fault recovery)";
#else
    return "PolicyZip CUDA emulator 1 (ucontext fibers, no fault recovery)";
#endif
}
PZ_API const char* pzemu_sources() { return pz_emu_sources; }
PZ_API int pzemu_kernel_count() { return (int)registry().size(); }
PZ_API const char* pzemu_kernel_name(int i) {
    return i >= 0 && i < (int)registry().size() ? registry()[i]->name : nullptr;
}

// The kernel's parameter count, __launch_bounds__ (0: none) and static shared bytes; -1 if there is no such kernel.
PZ_API int pzemu_kernel_info(const char* name, long long* out3) {
    const KernelInfo* k = find_kernel(name);
    if (k == nullptr) return -1;
    out3[0] = k->params;
    out3[1] = k->max_threads;
    out3[2] = *k->shared_bytes;
    return 0;
}

PZ_API long long pzemu_alloc(long long bytes, const char* label, char* err, int errlen) {
    if (bytes <= 0) {
        put(err, errlen, fmt("cuMemAlloc of %lld bytes (the driver refuses 0 bytes with CUDA_ERROR_INVALID_VALUE)", bytes));
        return 0;
    }
    size_t body = ((size_t)bytes + ALIGN - 1) / ALIGN * ALIGN;
    size_t raw_size = GUARD + body + GUARD;
    char* raw = (char*)aligned_alloc(ALIGN, raw_size);
    if (raw == nullptr) {
        put(err, errlen, fmt("cuMemAlloc of %lld bytes: out of host memory (CUDA_ERROR_OUT_OF_MEMORY)", bytes));
        return 0;
    }
    // The buffer's bytes too: fresh device memory is not zero.
    for (size_t i = 0; i < raw_size / 4; i++) ((uint32_t*)raw)[i] = POISON;
    std::lock_guard<std::mutex> g(lock);
    uint64_t user = (uint64_t)(raw + GUARD);
    allocs[user] = Alloc{raw, raw_size, user, (size_t)bytes, label ? label : "?"};
    return (long long)user;
}

PZ_API int pzemu_free(long long addr, char* err, int errlen) {
    std::lock_guard<std::mutex> g(lock);
    auto it = allocs.find((uint64_t)addr);
    if (it == allocs.end()) {
        put(err, errlen, fmt("cuMemFree of 0x%llx, which is not the start of a live device allocation", (unsigned long long)addr));
        return 1;
    }
    Alloc a = std::move(it->second);
    allocs.erase(it);
    std::vector<Damage> d;
    int status = 0;
    if (damaged(a, d)) {
        put(err, errlen, "found at cuMemFree: " + damage_text(a, d[0]));
        status = 2;
    }
    free(a.raw);
    return status;
}

PZ_API int pzemu_live() {
    std::lock_guard<std::mutex> g(lock);
    return (int)allocs.size();
}

// Whether [addr, addr + bytes) lies inside one live allocation (for copies the caller then makes itself).
PZ_API int pzemu_check(long long addr, long long bytes, const char* what, char* err, int errlen) {
    std::lock_guard<std::mutex> g(lock);
    if (bytes < 0 || holding((uint64_t)addr, (uint64_t)bytes) == nullptr) {
        auto it = allocs.upper_bound((uint64_t)addr);
        std::string near;
        if (it != allocs.begin()) {
            --it;
            if ((uint64_t)addr >= it->second.user && (uint64_t)addr <= it->second.user + it->second.size)
                near = fmt("; it runs %llu bytes past the end of %s",
                           (unsigned long long)((uint64_t)addr + (uint64_t)bytes - it->second.user - it->second.size),
                           describe(it->second).c_str());
        }
        put(err, errlen, fmt("%s of %lld bytes at 0x%llx is outside every live device allocation (CUDA_ERROR_INVALID_VALUE)%s",
                             what, bytes, (unsigned long long)addr, near.c_str()));
        return 1;
    }
    return 0;
}

PZ_API int pzemu_memset_d32(long long addr, int value, long long count, char* err, int errlen) {
    if (pzemu_check(addr, count * 4, "cuMemsetD32", err, errlen) != 0) return 1;
    uint32_t* p = (uint32_t*)addr;
    for (long long i = 0; i < count; i++) p[i] = (uint32_t)value;
    return 0;
}

// dims: grid x, y, z, block x, y, z, dynamic shared bytes. args: cuLaunchKernel's kernelParams; sizes: the byte size of
// each argument as the caller passed it. The blocks and each block's threads run in the order `schedule` gives
// (0 forward, 1 reverse, 2 shuffled by `seed`; see SCHEDULE_FORWARD). Returns 0, or 1 (refused, like the driver's
// CUDA_ERROR_INVALID_VALUE; also an unknown schedule), 2 (the kernel failed), 3 (it wrote outside a buffer), with one
// line in err.
PZ_API int pzemu_launch_ordered(const char* name, const long long* dims, void** args, const long long* sizes, int nargs,
                                int schedule, long long seed, char* err, int errlen) {
    std::lock_guard<std::mutex> g(lock);
    if (schedule < SCHEDULE_FORWARD || schedule > SCHEDULE_SHUFFLE) {
        put(err, errlen, fmt("schedule %d is not one of 0 (forward), 1 (reverse) and 2 (shuffle)", schedule));
        return 1;
    }
    const KernelInfo* k = find_kernel(name);
    if (k == nullptr) {
        put(err, errlen, fmt("no kernel named %s in the emulator library (CUDA_ERROR_NOT_FOUND)", name));
        return 1;
    }
    long long gx = dims[0], gy = dims[1], gz = dims[2], bx = dims[3], by = dims[4], bz = dims[5], dyn = dims[6];
    if (gx < 1 || gy < 1 || gz < 1 || gx > MAX_GRID_X || gy > MAX_GRID_YZ || gz > MAX_GRID_YZ) {
        put(err, errlen, fmt("grid %lld × %lld × %lld is outside the limits (x 1 to 2^31 − 1, y and z 1 to 65535): the driver "
                             "refuses it (CUDA_ERROR_INVALID_VALUE)", gx, gy, gz));
        return 1;
    }
    if (bx < 1 || by < 1 || bz < 1 || bx > 1024 || by > 1024 || bz > 64 || bx * by * bz > MAX_BLOCK_THREADS) {
        put(err, errlen, fmt("block %lld × %lld × %lld is outside the limits (at most 1024 threads; x, y ≤ 1024, z ≤ 64): the "
                             "driver refuses it (CUDA_ERROR_INVALID_VALUE)", bx, by, bz));
        return 1;
    }
    if (k->max_threads > 0 && bx * by * bz > k->max_threads) {
        put(err, errlen, fmt("block of %lld threads is more than the kernel's __launch_bounds__(%d): the driver refuses it "
                             "(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES)", bx * by * bz, k->max_threads));
        return 1;
    }
    long shared = *k->shared_bytes;
    if (shared + dyn > MAX_SHARED) {
        put(err, errlen, fmt("%ld bytes of static and %lld of dynamic shared memory exceed 48 KiB per block", shared, dyn));
        return 1;
    }
    if (nargs != k->params) {
        put(err, errlen, fmt("%d arguments given, the kernel (%s) takes %d (the driver would read garbage)", nargs, k->source,
                             k->params));
        return 1;
    }
    for (int i = 0; i < nargs; i++) {
        if ((long long)k->sizes[i] != sizes[i]) {
            put(err, errlen, fmt("argument %d is %lld bytes, the kernel's parameter %d is %u bytes (the driver would misread it)",
                                 i + 1, sizes[i], i + 1, k->sizes[i]));
            return 1;
        }
        if (k->pointers[i]) {
            uint64_t p;
            memcpy(&p, args[i], 8);
            if (p != 0 && holding(p, 0) == nullptr) {
                put(err, errlen, fmt("argument %d is the pointer 0x%llx, which is not inside any live device allocation "
                                     "(freed, or never allocated)", i + 1, (unsigned long long)p));
                return 1;
            }
        }
    }

    Runner& r = runner;
    int threads = (int)(bx * by * bz);
    if (!ensure_stacks(r, threads)) {
        put(err, errlen, "cannot map fiber stacks (out of memory)");
        return 2;
    }
    r.tls = &tls;
    r.threads = threads;
    r.schedule = schedule;
    r.seed = (uint64_t)seed;
    r.kernel = k;
    r.args = args;
    r.failed = false;
    r.error.clear();
    TlsBlock tb;
    if (shared > 0) dl_iterate_phdr(find_tls, &tb);
    tls.grid_dim = uint3{(unsigned)gx, (unsigned)gy, (unsigned)gz};
    tls.block_dim = uint3{(unsigned)bx, (unsigned)by, (unsigned)bz};
    for (int i = 0; i < threads; i++)
        r.fibers[i].tid = uint3{(unsigned)(i % bx), (unsigned)(i / bx % by), (unsigned)(i / (bx * by))};
    int status = 0;
    std::string msg;
    {
        FaultGuard faults;
        BlockOrder blocks((uint64_t)(gx * gy * gz), schedule, seed);
        for (uint64_t i = 0; i < blocks.n && status == 0; i++) {
            uint64_t b = blocks.at(i);
            tls.block_idx = uint3{(unsigned)(b % gx), (unsigned)(b / gx % gy), (unsigned)(b / gx / gy)};
            thread_order(r, b);
            poison_shared(tb, k);
            if (!run_block(r)) {
                status = 2;
                msg = block_name() + ", " + r.error;
            }
        }
    }
    r.kernel = nullptr;
    r.args = nullptr;

    // Guard zones: a write outside a buffer is found here, right after the launch that made it.
    std::string wrote;
    for (auto& [addr, a] : allocs) {
        std::vector<Damage> d;
        if (!damaged(a, d)) continue;
        if (wrote.empty()) {
            wrote = "wrote outside a buffer: " + damage_text(a, d[0]);
            std::string args_in;
            for (int i = 0; i < nargs; i++) {
                if (!k->pointers[i]) continue;
                uint64_t p;
                memcpy(&p, args[i], 8);
                if (p >= a.user && p <= a.user + a.size) args_in += (args_in.empty() ? "" : ", ") + fmt("%d", i + 1);
            }
            if (!args_in.empty()) wrote += " (argument " + args_in + " points into it)";
        }
        repair(a);
    }
    if (!wrote.empty()) {
        put(err, errlen, status == 0 ? wrote : msg + "; and it " + wrote);
        return 3;
    }
    if (status != 0) put(err, errlen, msg);
    return status;
}

// ------------------------------------------------------------------------------------------------ cuBLAS's SGEMM
// The part of cuBLAS's C API that CudaBackend's cuBLAS path calls (policyzip.backend.cuda.Cublas), with cuBLAS's
// semantics, so that the path's argument order, transposes and leading dimensions run where there is no GPU:
// column-major C (m × n, ldc) = alpha · op(A) · op(B) + beta · C, op(A) m × k, op(B) k × n, C not read when beta is 0.
// The sum over k is deliberately not the CPU's single chain: four FMA chains over k ≡ 0, 1, 2, 3 mod 4, added as
// (s0 + s1) + (s2 + s3), so that, like cuBLAS (whose order is its own), it matches the CPU only within tolerance and the
// tests rehearse what a GPU run of the path will see. A
// leading dimension below cuBLAS's minimum is CUBLAS_STATUS_INVALID_VALUE (7), as cuBLAS returns; an operand that does
// not lie inside one live device allocation is the same status here (on a GPU, a fault or garbage), with the reason in
// pzemu_cublas_error(). Handles are tokens; the math mode is recorded, never used (every sum is plain fp32).

namespace {
std::string cublas_error;
int cublas_handles = 0;

// Whether `rows` × `cols` column-major floats at p with leading dimension ld lie in one live allocation.
bool cublas_operand(const char* name, uint64_t p, long long rows, long long cols, long long ld) {
    if (rows == 0 || cols == 0) return true;
    uint64_t bytes = ((uint64_t)(cols - 1) * (uint64_t)ld + (uint64_t)rows) * 4;
    if (holding(p, bytes) != nullptr) return true;
    cublas_error = fmt("cublasSgemm_v2: %s (%lld × %lld, leading dimension %lld: %llu bytes at 0x%llx) is not inside one live "
                       "device allocation", name, rows, cols, ld, (unsigned long long)bytes, (unsigned long long)p);
    return false;
}
}  // namespace

PZ_API int cublasCreate_v2(void** handle) {
    std::lock_guard<std::mutex> g(lock);
    *handle = (void*)(intptr_t)(++cublas_handles);
    return 0;
}
PZ_API int cublasDestroy_v2(void*) { return 0; }
PZ_API int cublasSetMathMode(void*, int) { return 0; }
PZ_API int cublasGetVersion_v2(void*, int* version) {
    *version = 0;   // not a cuBLAS: CudaBackend names the emulator instead
    return 0;
}
PZ_API const char* pzemu_cublas_error() { return cublas_error.c_str(); }

PZ_API int cublasSgemm_v2(void* handle, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda,
                          const float* B, int ldb, const float* beta, float* C, int ldc) {
    std::lock_guard<std::mutex> g(lock);
    cublas_error.clear();
    if (handle == nullptr) {
        cublas_error = "cublasSgemm_v2: no handle (cublasCreate_v2 first)";
        return 1;   // CUBLAS_STATUS_NOT_INITIALIZED
    }
    bool ta = transa == 1, tb = transb == 1;
    if ((transa != 0 && transa != 1) || (transb != 0 && transb != 1) || m < 0 || n < 0 || k < 0
        || lda < std::max(1, ta ? k : m) || ldb < std::max(1, tb ? n : k) || ldc < std::max(1, m)) {
        cublas_error = fmt("cublasSgemm_v2: invalid arguments (transa %d, transb %d, m %d, n %d, k %d, lda %d, ldb %d, ldc %d)",
                           transa, transb, m, n, k, lda, ldb, ldc);
        return 7;   // CUBLAS_STATUS_INVALID_VALUE
    }
    if (m == 0 || n == 0) return 0;
    float al = *alpha, be = *beta;
    if (!cublas_operand("C", (uint64_t)C, m, n, ldc)
        || (k > 0 && al != 0.f && (!cublas_operand("A", (uint64_t)A, ta ? k : m, ta ? m : k, lda)
                                   || !cublas_operand("B", (uint64_t)B, tb ? n : k, tb ? k : n, ldb))))
        return 7;
    // op(A)(i, l) = A[i·sai + l·sal], op(B)(l, j) = B[l·sbl + j·sbj]: the transposes fixed once, as strides.
    const size_t sai = ta ? lda : 1, sal = ta ? 1 : lda, sbl = tb ? ldb : 1, sbj = tb ? 1 : ldb;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            float p[4] = {0.f, 0.f, 0.f, 0.f};
            if (al != 0.f)
                for (int l = 0; l < k; l++) p[l & 3] = fmaf(A[i * sai + l * sal], B[l * sbl + j * sbj], p[l & 3]);
            float s = (p[0] + p[1]) + (p[2] + p[3]);
            float* c = &C[(size_t)j * ldc + i];
            *c = be == 0.f ? al * s : al * s + be * *c;
        }
    return 0;
}
