#!/usr/bin/env bash
cd /work/data/reacher
J="/usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dpolicyzip.mujoco.dir=/work/main/native/mujoco -jar pz2.jar"
for t in reach-nw reach-sw reach-se; do
  { time $J search -c reacher-medium-k4.ckpt -d reacher-medium-50k.pzd --task $t --seeds 10 --env-steps 200000 -o search-reacher-k4-spread-$t ; } > search-$t.log 2>&1
done
{ time $J train --dataset reacher-medium-50k.pzd --latent 4 --steps 20000 --out reacher-medium-k4-20k.ckpt ; } > train-20k.log 2>&1
{ time $J recover -d reacher-medium-50k.pzd -c reacher-medium-k4-20k.ckpt ; } > recover-20k.log 2>&1
for t in reach-ne reach-nw reach-sw reach-se; do
  { time $J search -c reacher-medium-k4-20k.ckpt -d reacher-medium-50k.pzd --task $t --seeds 10 --env-steps 200000 -o search-reacher-k4-20k-spread-$t ; } > search-20k-$t.log 2>&1
done
echo done > run-reacher.done
