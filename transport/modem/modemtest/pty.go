package modemtest

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// pty is one pseudo-terminal: the master the simulated modem reads and
// writes, and a slave descriptor it keeps open itself so the master never
// sees a hang-up while the gateway closes and reopens its side.
type pty struct {
	master *os.File
	slave  *os.File
	name   string // /dev/pts/N
}

func openPTY() (*pty, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("modemtest: open /dev/ptmx: %w", err)
	}
	var n int
	var ioctlErr error
	ctlErr := withFD(m, func(fd int) {
		if ioctlErr = unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); ioctlErr != nil {
			return
		}
		n, ioctlErr = unix.IoctlGetInt(fd, unix.TIOCGPTN)
	})
	if err := firstErr(ctlErr, ioctlErr); err != nil {
		m.Close()
		return nil, fmt.Errorf("modemtest: unlock pty: %w", err)
	}
	name := "/dev/pts/" + strconv.Itoa(n)
	s, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("modemtest: open %s: %w", name, err)
	}
	if err := makeRaw(s); err != nil {
		m.Close()
		s.Close()
		return nil, err
	}
	return &pty{master: m, slave: s, name: name}, nil
}

// makeRaw turns off the line discipline's echo and translations: until the
// gateway opens the port (and sets raw mode itself), what the modem writes
// would otherwise be echoed back to it as input.
func makeRaw(f *os.File) error {
	var err error
	ctlErr := withFD(f, func(fd int) {
		var t *unix.Termios
		if t, err = unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		err = unix.IoctlSetTermios(fd, unix.TCSETS, t)
	})
	if err := firstErr(ctlErr, err); err != nil {
		return fmt.Errorf("modemtest: raw mode: %w", err)
	}
	return nil
}

func withFD(f *os.File, fn func(fd int)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) })
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// close hangs the line up: the gateway's reads fail as on a USB unplug.
func (p *pty) close() {
	p.master.Close()
	p.slave.Close()
}
