"""neuralnet.py in the style of the earlier handouts' pseudocode: each module a Forward and a Backward
function, NNForward collecting the intermediate quantities in a dict for NNBackward."""
import sys
import numpy as np


def LinearForward(a, weights):
    return np.dot(weights, a)


def LinearBackward(a, weights, g_b):
    return np.outer(g_b, a), np.dot(weights[:, 1:].T, g_b)


def SigmoidForward(a):
    return 1.0 / (1.0 + np.exp(-a))


def SigmoidBackward(z, g_z):
    return g_z * z * (1.0 - z)


def SoftmaxForward(b):
    shifted = np.exp(b - np.max(b))
    return shifted / shifted.sum()


def CrossEntropyForward(y, y_hat):
    return -np.log(y_hat[y])


def NNForward(x, y, alpha, beta):
    o = {"x": np.append(1.0, x)}
    o["a"] = LinearForward(o["x"], alpha)
    o["z"] = np.append(1.0, SigmoidForward(o["a"]))
    o["b"] = LinearForward(o["z"], beta)
    o["y_hat"] = SoftmaxForward(o["b"])
    o["J"] = CrossEntropyForward(y, o["y_hat"])
    return o


def NNBackward(x, y, alpha, beta, o):
    g_b = o["y_hat"].copy()
    g_b[y] = g_b[y] - 1
    g_beta, g_z = LinearBackward(o["z"], beta, g_b)
    g_a = SigmoidBackward(o["z"][1:], g_z)
    g_alpha, _ = LinearBackward(o["x"], alpha, g_a)
    return g_alpha, g_beta


def initialize(shape, init_flag):
    if init_flag == 1:
        np.random.seed(shape[0] * shape[1])
        weights = np.random.uniform(-0.1, 0.1, shape)
        weights[:, 0] = 0.0
    else:
        weights = np.zeros(shape)
    return weights


def shuffle(X, y, epoch):
    np.random.seed(epoch)
    ordering = np.random.permutation(len(y))
    return X[ordering], y[ordering]


def MeanCrossEntropy(X, Y, alpha, beta):
    return sum(NNForward(x, y, alpha, beta)["J"] for x, y in zip(X, Y)) / len(Y)


def SGD(X, Y, Xv, Yv, hidden_units, num_epoch, init_flag, learning_rate):
    alpha = initialize((hidden_units, X.shape[1] + 1), init_flag)
    beta = initialize((10, hidden_units + 1), init_flag)
    train_ce, valid_ce = [], []
    for e in range(num_epoch):
        Xe, Ye = shuffle(X, Y, e)
        for x, y in zip(Xe, Ye):
            o = NNForward(x, y, alpha, beta)
            g_alpha, g_beta = NNBackward(x, y, alpha, beta, o)
            alpha = alpha - learning_rate * g_alpha
            beta = beta - learning_rate * g_beta
        train_ce.append(MeanCrossEntropy(X, Y, alpha, beta))
        valid_ce.append(MeanCrossEntropy(Xv, Yv, alpha, beta))
    return alpha, beta, train_ce, valid_ce


def Predict(X, Y, alpha, beta):
    labels = [int(np.argmax(NNForward(x, y, alpha, beta)["y_hat"])) for x, y in zip(X, Y)]
    return labels, sum(1 for p, y in zip(labels, Y) if p != y) / len(Y)


def load(filename):
    table = np.loadtxt(filename, delimiter=",", ndmin=2)
    return table[:, 1:], table[:, 0].astype(int)


if __name__ == "__main__":
    train_input, validation_input = sys.argv[1], sys.argv[2]
    train_out, validation_out, metrics_out = sys.argv[3], sys.argv[4], sys.argv[5]
    num_epoch, hidden_units = int(sys.argv[6]), int(sys.argv[7])
    init_flag, learning_rate = int(sys.argv[8]), float(sys.argv[9])
    X, Y = load(train_input)
    Xv, Yv = load(validation_input)
    alpha, beta, train_ce, valid_ce = SGD(X, Y, Xv, Yv, hidden_units, num_epoch, init_flag, learning_rate)
    train_labels, train_error = Predict(X, Y, alpha, beta)
    valid_labels, valid_error = Predict(Xv, Yv, alpha, beta)
    with open(train_out, "w") as f:
        f.write("".join(str(label) + "\n" for label in train_labels))
    with open(validation_out, "w") as f:
        f.write("".join(str(label) + "\n" for label in valid_labels))
    with open(metrics_out, "w") as f:
        for e in range(num_epoch):
            f.write("epoch=" + str(e + 1) + " crossentropy(train): " + str(train_ce[e]) + "\n")
            f.write("epoch=" + str(e + 1) + " crossentropy(validation): " + str(valid_ce[e]) + "\n")
        f.write("error(train): " + str(train_error) + "\n")
        f.write("error(validation): " + str(valid_error) + "\n")
