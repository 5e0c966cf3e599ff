"""Share of JFR execution samples per method (self and inclusive) from `jfr print --events jdk.ExecutionSample FILE`.
Recordings were made with:
  java --add-modules jdk.incubator.vector -XX:StartFlightRecording=filename=ae.jfr,settings=profile \
       -jar policyzip.jar bench -w ae-medium --reps 5..8 --seconds 2 --warmup 3 --backend cpu
  jfr print --events jdk.ExecutionSample ae.jfr > ae.txt; python3 summarise_jfr.py ae.txt
"""
import collections, re, sys
events = open(sys.argv[1]).read().split('jdk.ExecutionSample')
top, incl = collections.Counter(), collections.Counter()
for e in events:
    frames = re.findall(r'^\s+([\w.$<>]+)\(', e, re.M)
    if not frames:
        continue
    top[frames[0]] += 1
    for f in set(frames):
        incl[f] += 1
n = sum(top.values())
print("samples", n)
for f, c in top.most_common(12):
    print(f"{c / n:6.1%} self {f}")
for f, c in incl.most_common(40):
    if f.startswith('policyzip'):
        print(f"{c / n:6.1%} incl {f}")
