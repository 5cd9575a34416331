"""HW5 neuralnet.py on the starter code's API, written compactly: every vector a flat 1-D array."""
import argparse
from typing import Callable, List, Tuple

import numpy as np


def random_init(shape):
    M, D = shape
    np.random.seed(M * D)
    return np.random.uniform(-0.1, 0.1, size=(M, D))


def zero_init(shape):
    return np.zeros(shape=shape)


def shuffle(X, y, epoch):
    np.random.seed(epoch)
    ordering = np.random.permutation(len(y))
    return X[ordering], y[ordering]


class SoftMaxCrossEntropy:
    def _softmax(self, z):
        e = np.exp(z - np.max(z))
        return e / np.sum(e)

    def _cross_entropy(self, y, y_hat):
        return float(-np.log(y_hat[y]))

    def forward(self, z, y):
        y_hat = self._softmax(z)
        return y_hat, self._cross_entropy(y, y_hat)

    def backward(self, y, y_hat):
        grad = np.array(y_hat, dtype=float)
        grad[y] -= 1.0
        return grad


class Sigmoid:
    def __init__(self):
        self.z = None

    def forward(self, x):
        self.z = 1.0 / (1.0 + np.exp(-x))
        return self.z

    def backward(self, dz):
        return dz * self.z * (1.0 - self.z)


class Linear:
    def __init__(self, input_size: int, output_size: int, weight_init_fn: Callable, learning_rate: float):
        self.lr = learning_rate
        self.w = weight_init_fn((output_size, input_size + 1))
        self.w[:, 0] = 0.0
        self.dw = np.zeros((output_size, input_size + 1))
        self.x = None

    def forward(self, x):
        self.x = np.hstack(([1.0], x))
        return self.w @ self.x

    def backward(self, dz):
        self.dw = np.outer(dz, self.x)
        return self.w[:, 1:].T @ dz

    def step(self):
        self.w = self.w - self.lr * self.dw


class NN:
    def __init__(self, input_size, hidden_size, output_size, weight_init_fn, learning_rate):
        self.linear1 = Linear(input_size, hidden_size, weight_init_fn, learning_rate)
        self.sigmoid = Sigmoid()
        self.linear2 = Linear(hidden_size, output_size, weight_init_fn, learning_rate)
        self.softmax = SoftMaxCrossEntropy()

    def forward(self, x, y):
        return self.softmax.forward(self.linear2.forward(self.sigmoid.forward(self.linear1.forward(x))), y)

    def backward(self, y, y_hat):
        self.linear1.backward(self.sigmoid.backward(self.linear2.backward(self.softmax.backward(y, y_hat))))

    def step(self):
        self.linear1.step()
        self.linear2.step()

    def compute_loss(self, X, y):
        return float(np.mean([self.forward(x, label)[1] for x, label in zip(X, y)]))

    def train(self, X_tr, y_tr, X_test, y_test, n_epochs) -> Tuple[List[float], List[float]]:
        train_losses, test_losses = [], []
        for epoch in range(n_epochs):
            X_s, y_s = shuffle(X_tr, y_tr, epoch)
            for x, label in zip(X_s, y_s):
                y_hat, _ = self.forward(x, label)
                self.backward(label, y_hat)
                self.step()
            train_losses.append(self.compute_loss(X_tr, y_tr))
            test_losses.append(self.compute_loss(X_test, y_test))
        return train_losses, test_losses

    def test(self, X, y):
        labels = np.array([int(np.argmax(self.forward(x, label)[0])) for x, label in zip(X, y)])
        return labels, float(np.mean(labels != y))


def main():
    parser = argparse.ArgumentParser()
    for name in ("train_input", "validation_input", "train_out", "validation_out", "metrics_out"):
        parser.add_argument(name, type=str)
    parser.add_argument("num_epoch", type=int)
    parser.add_argument("hidden_units", type=int)
    parser.add_argument("init_flag", type=int, choices=[1, 2])
    parser.add_argument("learning_rate", type=float)
    args = parser.parse_args()
    train = np.loadtxt(args.train_input, delimiter=",", ndmin=2)
    valid = np.loadtxt(args.validation_input, delimiter=",", ndmin=2)
    X_tr, y_tr = train[:, 1:], train[:, 0].astype(int)
    X_va, y_va = valid[:, 1:], valid[:, 0].astype(int)
    n_classes = 4
    nn = NN(X_tr.shape[1], args.hidden_units, n_classes,
            random_init if args.init_flag == 1 else zero_init, args.learning_rate)
    train_losses, valid_losses = nn.train(X_tr, y_tr, X_va, y_va, args.num_epoch)
    train_labels, train_error = nn.test(X_tr, y_tr)
    valid_labels, valid_error = nn.test(X_va, y_va)
    for path, labels in ((args.train_out, train_labels), (args.validation_out, valid_labels)):
        with open(path, "w") as f:
            f.writelines(f"{label}\n" for label in labels)
    with open(args.metrics_out, "w") as f:
        for i, (lt, lv) in enumerate(zip(train_losses, valid_losses)):
            f.write(f"epoch={i + 1} crossentropy(train): {lt}\nepoch={i + 1} crossentropy(validation): {lv}\n")
        f.write(f"error(train): {train_error}\nerror(validation): {valid_error}\n")


if __name__ == "__main__":
    main()
