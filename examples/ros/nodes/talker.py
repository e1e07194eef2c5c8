#!/usr/bin/python3
"""Publish COUNT messages "hello 1" .. "hello COUNT" on /chatter.

Usage: talker [COUNT [RATE_HZ]]; COUNT and RATE also come from the env
(COUNT, RATE; defaults 10 and 10). The talker waits up to WAIT seconds
(default 30) for a subscriber, so a listener started at the same time gets
every message, then exits 0.
"""
import os
import sys
import time

import rospy
from std_msgs.msg import String


def main():
    count = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("COUNT", "10"))
    rate_hz = float(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("RATE", "10"))
    wait = float(os.environ.get("WAIT", "30"))

    rospy.init_node("talker", anonymous=True, disable_signals=True)
    pub = rospy.Publisher("/chatter", String, queue_size=count)

    deadline = time.monotonic() + wait
    while pub.get_num_connections() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    print(f"talker: {pub.get_num_connections()} subscriber(s), sending {count}", flush=True)

    rate = rospy.Rate(rate_hz)
    for i in range(1, count + 1):
        pub.publish(String(data=f"hello {i}"))
        print(f"sent: hello {i}", flush=True)
        rate.sleep()
    time.sleep(1)  # let the last messages leave the socket
    rospy.signal_shutdown("done")


if __name__ == "__main__":
    main()
