#!/usr/bin/env bash
# Rebuild the model that ships with the project (classify/models/default.joblib) from the
# Emotify clips: default features, RBF SVM, seed 0, 10 x 10 repeated stratified CV score stored with it.
# Run from the repository's root: bash classify/models/train_default.sh [EMOTIFY_DIR]
set -euo pipefail
emotify=${1:-../shared/data/emotify}
python -m featurize "$emotify/audio" -o cache/features/emotify-audio.parquet
python -m classify train --features cache/features/emotify-audio.parquet --labels "$emotify/labels.csv" \
    --classifier svm --seed 0 -o classify/models/default.joblib
