/** granular's stages as Apache Spark jobs. */
package dev.granular.spark;
