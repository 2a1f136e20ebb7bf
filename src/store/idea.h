/*
 * idea.h - entries of the idea queue (queues/idea_queue.json), as the
 * Python ros.py wrote them.
 */
#ifndef ROS_IDEA_H
#define ROS_IDEA_H

#include <jansson.h>

/* A new idea entry (without its id: queue_new_id gives one): status new,
 * the times, and one event. */
json_t *idea_entry(const char *project, const char *title, const char *hypothesis,
		   const char *metric, long long priority, const char *event);

#endif
