"""A straightforward per-example implementation of the handout's network.

This is the textbook version a student writes first: the bias is concatenated
to every example, gradients are built with ``np.outer``, and every loss and
prediction is computed one example at a time. It shares no code with
``neuralnet.py`` on purpose: the benchmark times it as the baseline, and the
test suite uses it as an independent oracle for ``neuralnet.py``'s outputs.

Usage is the same as neuralnet.py's nine positional arguments.
"""
import sys

import numpy as np


def random_init(shape):
    rows, cols = shape
    np.random.seed(rows * cols)
    return np.random.uniform(-0.1, 0.1, (rows, cols))


def zero_init(shape):
    return np.zeros(shape)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def softmax(b):
    e = np.exp(b - np.max(b))
    return e / np.sum(e)


def forward(alpha, beta, x):
    x1 = np.concatenate(([1.0], x))
    z = sigmoid(alpha @ x1)
    z1 = np.concatenate(([1.0], z))
    y_hat = softmax(beta @ z1)
    return x1, z1, y_hat


def mean_cross_entropy(alpha, beta, X, y):
    return float(np.mean([-np.log(forward(alpha, beta, x)[2][label]) for x, label in zip(X, y)]))


def train(X_tr, y_tr, X_val, y_val, n_epochs, n_hidden, init_flag, lr):
    init = random_init if init_flag == 1 else zero_init
    alpha = init((n_hidden, X_tr.shape[1] + 1))
    alpha[:, 0] = 0.0
    beta = init((10, n_hidden + 1))
    beta[:, 0] = 0.0
    losses = []
    for epoch in range(n_epochs):
        np.random.seed(epoch)
        order = np.random.permutation(len(y_tr))
        for x, label in zip(X_tr[order], y_tr[order]):
            x1, z1, y_hat = forward(alpha, beta, x)
            g_b = y_hat.copy()
            g_b[label] -= 1.0
            g_beta = np.outer(g_b, z1)
            g_z = beta[:, 1:].T @ g_b
            g_a = g_z * z1[1:] * (1.0 - z1[1:])
            g_alpha = np.outer(g_a, x1)
            alpha = alpha - lr * g_alpha
            beta = beta - lr * g_beta
        losses.append((mean_cross_entropy(alpha, beta, X_tr, y_tr),
                       mean_cross_entropy(alpha, beta, X_val, y_val)))
    return alpha, beta, losses


def predict(alpha, beta, X):
    return [int(np.argmax(forward(alpha, beta, x)[2])) for x in X]


def main(argv):
    train_in, val_in, train_out, val_out, metrics_out = argv[:5]
    n_epochs, n_hidden, init_flag, lr = int(argv[5]), int(argv[6]), int(argv[7]), float(argv[8])
    train_data = np.loadtxt(train_in, delimiter=",", ndmin=2)
    val_data = np.loadtxt(val_in, delimiter=",", ndmin=2)
    X_tr, y_tr = train_data[:, 1:], train_data[:, 0].astype(int)
    X_val, y_val = val_data[:, 1:], val_data[:, 0].astype(int)
    alpha, beta, losses = train(X_tr, y_tr, X_val, y_val, n_epochs, n_hidden, init_flag, lr)
    lines = []
    for epoch, (loss_tr, loss_val) in enumerate(losses, 1):
        lines.append(f"epoch={epoch} crossentropy(train): {loss_tr}")
        lines.append(f"epoch={epoch} crossentropy(validation): {loss_val}")
    for name, X, y, path in (("train", X_tr, y_tr, train_out), ("validation", X_val, y_val, val_out)):
        labels = predict(alpha, beta, X)
        with open(path, "w") as f:
            f.writelines(f"{label}\n" for label in labels)
        lines.append(f"error({name}): {float(np.mean(np.array(labels) != y))}")
    with open(metrics_out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
