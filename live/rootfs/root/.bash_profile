# On the stick's screen and serial console, root's login starts the launcher once.
[ -f ~/.bashrc ] && . ~/.bashrc
case "$(tty)" in
/dev/tty1 | /dev/ttyS*)
    if [ -z "${REFURB_LIVE:-}" ]; then
        export REFURB_LIVE=1
        exec /usr/local/sbin/refurb-live
    fi
    ;;
esac
