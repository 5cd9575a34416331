"""HW5: a one-hidden-layer network for the OCR letters, written as plain functions on two weight matrices.

alpha (hidden x (features + 1)) and beta (10 x (hidden + 1)) keep their bias in column 0; each example
is a row vector x, folded as [1, x].
"""
import sys

import numpy as np

N_CLASSES = 10


def read(path):
    data = np.loadtxt(path, delimiter=",", ndmin=2)
    return data[:, 1:], data[:, 0].astype(int)


def init(rows, cols, flag):
    """Weights for `cols` inputs plus the bias column; RANDOM (flag 1) or ZERO (flag 2)."""
    if flag == 1:
        np.random.seed(rows * (cols + 1))
        w = np.random.uniform(-0.1, 0.1, (rows, cols + 1))
        w[:, 0] = 0.0
        return w
    return np.zeros((rows, cols + 1))


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def softmax(b):
    e = np.exp(b - np.max(b))
    return e / np.sum(e)


def forward(x, alpha, beta):
    x1 = np.concatenate(([1.0], x))
    a = alpha @ x1
    z = sigmoid(a)
    z1 = np.concatenate(([1.0], z))
    y_hat = softmax(beta @ z1)
    return x1, a, z, z1, y_hat


def mean_loss(X, Y, alpha, beta):
    return float(np.mean([-np.log(forward(x, alpha, beta)[4][y]) for x, y in zip(X, Y)]))


def predict(X, alpha, beta):
    return [int(np.argmax(forward(x, alpha, beta)[4])) for x in X]


def shuffle(X, y, epoch):
    np.random.seed(epoch)
    order = np.random.permutation(len(y))
    return X[order], y[order]


def train(X_tr, y_tr, X_va, y_va, hidden, epochs, flag, lr):
    alpha = init(hidden, X_tr.shape[1], flag)
    beta = init(N_CLASSES, hidden, flag)
    history = []
    for epoch in range(epochs):
        X, Y = X_tr, y_tr
        for x, y in zip(X, Y):
            x1, a, z, z1, y_hat = forward(x, alpha, beta)
            g_b = y_hat.copy()
            g_b[y] -= 1.0
            g_beta = np.outer(g_b, z1)
            g_z = beta[:, 1:].T @ g_b
            g_a = g_z * z * (1.0 - z)
            g_alpha = np.outer(g_a, x1)
            alpha = alpha - lr * g_alpha
            beta = beta - lr * g_beta
        history.append((mean_loss(X_tr, y_tr, alpha, beta), mean_loss(X_va, y_va, alpha, beta)))
    return alpha, beta, history


def error(predicted, y):
    return float(np.mean(np.array(predicted) != y))


def write_labels(path, labels):
    with open(path, "w") as f:
        for label in labels:
            f.write(f"{label}\n")


def main(argv):
    train_in, valid_in, train_out, valid_out, metrics_out = argv[1:6]
    epochs, hidden, flag, lr = int(argv[6]), int(argv[7]), int(argv[8]), float(argv[9])
    X_tr, y_tr = read(train_in)
    X_va, y_va = read(valid_in)
    alpha, beta, history = train(X_tr, y_tr, X_va, y_va, hidden, epochs, flag, lr)
    train_labels, valid_labels = predict(X_tr, alpha, beta), predict(X_va, alpha, beta)
    write_labels(train_out, train_labels)
    write_labels(valid_out, valid_labels)
    with open(metrics_out, "w") as f:
        for epoch, (loss_tr, loss_va) in enumerate(history, start=1):
            f.write(f"epoch={epoch} crossentropy(train): {loss_tr}\n")
            f.write(f"epoch={epoch} crossentropy(test): {loss_va}\n")
        f.write(f"error(train): {error(train_labels, y_tr)}\n")
        f.write(f"error(test): {error(valid_labels, y_va)}\n")
    best = min(range(epochs), key=lambda e: history[e][1])
    print("lowest validation cross-entropy after epoch", best + 1, "of", history[epochs][1])


if __name__ == "__main__":
    main(sys.argv)
